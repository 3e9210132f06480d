import AmplifyCore
import AmplifyWire

// Core's enums and the wire's carry the same values; these switches map them, so a value one side gains and the
// other lacks fails to compile instead of failing a request.

extension Stage {
    init(_ wire: Wire.Stage) {
        switch wire {
        case .production: self = .production
        case .beta: self = .beta
        case .development: self = .development
        case .experimental: self = .experimental
        case .pullRequest: self = .pullRequest
        case .none: self = .none
        }
    }
}

extension Wire.Stage {
    init(_ stage: Stage) {
        switch stage {
        case .production: self = .production
        case .beta: self = .beta
        case .development: self = .development
        case .experimental: self = .experimental
        case .pullRequest: self = .pullRequest
        case .none: self = .none
        }
    }
}

extension Platform {
    init(_ wire: Wire.Platform) {
        switch wire {
        case .web: self = .web
        case .webDynamic: self = .webDynamic
        case .webCompute: self = .webCompute
        }
    }
}

extension Wire.Platform {
    init(_ platform: Platform) {
        switch platform {
        case .web: self = .web
        case .webDynamic: self = .webDynamic
        case .webCompute: self = .webCompute
        }
    }
}

extension BuildComputeType {
    init(_ wire: Wire.BuildComputeType) {
        switch wire {
        case .standard8gb: self = .standard8gb
        case .large16gb: self = .large16gb
        case .xlarge72gb: self = .xlarge72gb
        }
    }
}

extension Wire.BuildComputeType {
    init(_ type: BuildComputeType) {
        switch type {
        case .standard8gb: self = .standard8gb
        case .large16gb: self = .large16gb
        case .xlarge72gb: self = .xlarge72gb
        }
    }
}

extension CacheConfigType {
    init(_ wire: Wire.CacheConfigType) {
        switch wire {
        case .amplifyManaged: self = .amplifyManaged
        case .amplifyManagedNoCookies: self = .amplifyManagedNoCookies
        }
    }
}

extension Wire.CacheConfigType {
    init(_ type: CacheConfigType) {
        switch type {
        case .amplifyManaged: self = .amplifyManaged
        case .amplifyManagedNoCookies: self = .amplifyManagedNoCookies
        }
    }
}

extension CertificateType {
    init(_ wire: Wire.CertificateType) {
        switch wire {
        case .amplifyManaged: self = .amplifyManaged
        case .custom: self = .custom
        }
    }
}

extension Wire.CertificateType {
    init(_ type: CertificateType) {
        switch type {
        case .amplifyManaged: self = .amplifyManaged
        case .custom: self = .custom
        }
    }
}

extension SourceUrlType {
    init(_ wire: Wire.SourceUrlType) {
        switch wire {
        case .zip: self = .zip
        case .bucketPrefix: self = .bucketPrefix
        }
    }
}

extension Wire.SourceUrlType {
    init(_ type: SourceUrlType) {
        switch type {
        case .zip: self = .zip
        case .bucketPrefix: self = .bucketPrefix
        }
    }
}

extension JobType {
    init(_ wire: Wire.JobType) {
        switch wire {
        case .release: self = .release
        case .retry: self = .retry
        case .manual: self = .manual
        case .webHook: self = .webHook
        }
    }
}

extension Wire.JobType {
    init(_ type: JobType) {
        switch type {
        case .release: self = .release
        case .retry: self = .retry
        case .manual: self = .manual
        case .webHook: self = .webHook
        }
    }
}

extension Wire.JobStatus {
    init(_ status: JobStatus) {
        switch status {
        case .created: self = .created
        case .pending: self = .pending
        case .provisioning: self = .provisioning
        case .running: self = .running
        case .failed: self = .failed
        case .succeed: self = .succeed
        case .cancelling: self = .cancelling
        case .cancelled: self = .cancelled
        }
    }
}

extension Wire.DomainStatus {
    init(_ phase: DomainAssociation.Phase) {
        switch phase {
        case .creating: self = .creating
        case .updating: self = .updating
        case .pendingVerification: self = .pendingVerification
        case .pendingDeployment: self = .pendingDeployment
        case .available: self = .available
        case .failed: self = .failed
        }
    }
}
