import AmplifyCore
import AmplifyWire
import Foundation

extension AmplifyAPI {
    /// A resource has at most this many tags, as on AWS.
    static let maximumTags = 50

    func tagResource(_ input: Wire.TagResourceRequest, _ call: APICall) async throws -> Wire.TagResourceResponse {
        let arn = input.resourceArn
        let added = input.tags
        try await Self.resourceNotFound(arn) {
            _ = try await self.store.updateTags(call.scope, of: try Self.taggedResource(arn, call)) { tags in
                tags.merge(added) { _, new in new }
                guard tags.count <= Self.maximumTags else {
                    throw AmplifyError.badRequest("A resource can have at most \(Self.maximumTags) tags; this request would give it \(tags.count).")
                }
            }
        }
        return Wire.TagResourceResponse()
    }

    func untagResource(_ input: Wire.UntagResourceRequest, _ call: APICall) async throws -> Wire.UntagResourceResponse {
        let arn = input.resourceArn
        let keys = input.tagKeys
        try await Self.resourceNotFound(arn) {
            _ = try await self.store.updateTags(call.scope, of: try Self.taggedResource(arn, call)) { tags in
                for key in keys { tags[key] = nil }
            }
        }
        return Wire.UntagResourceResponse()
    }

    func listTagsForResource(_ input: Wire.ListTagsForResourceRequest, _ call: APICall) async throws -> Wire.ListTagsForResourceResponse {
        let arn = input.resourceArn
        let tags = try await Self.resourceNotFound(arn) {
            try await self.store.tags(call.scope, of: try Self.taggedResource(arn, call))
        }
        return Wire.ListTagsForResourceResponse(tags: tags)
    }

    private static func taggedResource(_ arn: String, _ call: APICall) throws -> TaggedResource {
        guard let resource = TaggedResource(arn: arn, scope: call.scope) else { throw AmplifyError.resourceNotFound(arn) }
        return resource
    }

    /// The tag operations answer ResourceNotFoundException (with `code`), not NotFoundException.
    private static func resourceNotFound<T>(_ arn: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as AmplifyError where error.code == .notFound {
            throw AmplifyError.resourceNotFound(arn)
        }
    }
}
