/// Where a real build's commands run (`--build-runtime`): on this machine (`host`), in a container of the build image
/// under podman (`podman`), or in a container when the build names an image and podman works here (`auto`).
public enum BuildRuntime: String, Sendable, CaseIterable {
    case host, podman, auto

    /// The names `_CUSTOM_IMAGE` gives Amplify's own images, which stand for `--build-image` here (AWS publishes none
    /// of them: its build image is not an image anyone can pull).
    public static let amplifyImageNames: Set<String> = ["amplify:al2023", "amplify:al2", "amplify:latest"]

    /// Where one build runs, and what its log says of it.
    public enum Placement: Equatable, Sendable {
        /// On the host; the note (when there is one) says why an image named was not used.
        case host(note: String?)
        /// In a container of `image`.
        case container(image: String, source: String)
        /// Nowhere: the build fails with this reason.
        case refused(String)
    }

    /// Where a build runs: `customImage` is the app's or branch's `_CUSTOM_IMAGE` (empty counts as none),
    /// `defaultImage` the server's `--build-image`, `podmanProblem` why podman cannot run containers here (nil when it
    /// can), asked only when a container is wanted (finding out costs a probe of podman).
    public func placement(customImage: String?, defaultImage: String?, podmanProblem: () async -> String?) async -> Placement {
        let custom = customImage.flatMap { $0.isEmpty ? nil : $0 }
        let chosen: (image: String, source: String)?
        switch custom {
        case let name? where Self.amplifyImageNames.contains(name):
            chosen = defaultImage.map { ($0, "_CUSTOM_IMAGE \(name), Amplify's own image, which --build-image stands for here") }
            if chosen == nil, self == .podman {
                return .refused(
                    "_CUSTOM_IMAGE is \(name), Amplify's own build image, which is not published: start the server with --build-image naming an image to stand for it."
                )
            }
            if chosen == nil, self == .auto {
                return .host(note: "_CUSTOM_IMAGE is \(name), Amplify's default build image, and no --build-image stands for it here: building on the host.")
            }
        case let name?:
            chosen = (name, "_CUSTOM_IMAGE")
        case nil:
            chosen = defaultImage.map { ($0, "--build-image") }
        }
        switch self {
        case .host:
            return .host(note: custom.map { "_CUSTOM_IMAGE (\($0)) is not used: the server runs builds on the host (--build-runtime host)." })
        case .podman:
            guard let chosen else {
                return .refused("--build-runtime podman runs builds in an image, and none is named: set _CUSTOM_IMAGE on the app or branch, or start the server with --build-image.")
            }
            if let podmanProblem = await podmanProblem() { return .refused("The build needs podman (--build-runtime podman), which cannot run containers here: \(podmanProblem)") }
            return .container(image: chosen.image, source: chosen.source)
        case .auto:
            guard let chosen else { return .host(note: nil) }
            if let podmanProblem = await podmanProblem() {
                return .host(note: "The build image \(chosen.image) (\(chosen.source)) is not used: podman cannot run containers here (\(podmanProblem)); building on the host (--build-runtime auto).")
            }
            return .container(image: chosen.image, source: chosen.source)
        }
    }
}
