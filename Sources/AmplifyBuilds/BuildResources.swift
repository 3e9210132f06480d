import AmplifyCore
import Foundation

/// What a build gets of the machine: its compute type's vCPUs and memory (AWS: `STANDARD_8GB` 4 vCPUs and 8 GiB,
/// `LARGE_16GB` 8 and 16, `XLARGE_72GB` 36 and 72), at most the machine's CPUs, and at most `--build-memory-mib`.
struct BuildResources: Equatable, Sendable {
    var computeType: BuildComputeType
    var cpus: Int
    var memoryBytes: Int64
    /// What the compute type gives, before this machine's limits.
    var typeCPUs: Int
    var typeMemoryBytes: Int64
    /// The server's cap on memory, when it lowered the type's.
    var memoryCap: Int64?

    init(_ type: BuildComputeType, machineCPUs: Int, memoryCap: Int64?) {
        let (cpus, gib): (Int, Int64) =
            switch type {
            case .standard8gb: (4, 8)
            case .large16gb: (8, 16)
            case .xlarge72gb: (36, 72)
            }
        self.computeType = type
        self.typeCPUs = cpus
        self.typeMemoryBytes = gib << 30
        self.cpus = max(1, min(cpus, machineCPUs))
        self.memoryBytes = min(self.typeMemoryBytes, memoryCap ?? .max)
        self.memoryCap = memoryCap.flatMap { $0 < self.typeMemoryBytes ? $0 : nil }
    }

    /// `STANDARD_8GB: 4 vCPUs (2 on this machine), 8 GiB memory`.
    var description: String {
        let cpus = self.cpus < self.typeCPUs ? "\(self.typeCPUs) vCPUs (\(self.cpus) on this machine)" : "\(self.cpus) vCPUs"
        let memory = self.memoryCap.map { "\(Self.size(self.typeMemoryBytes)) memory (\(Self.size($0)) here, --build-memory-mib)" }
            ?? "\(Self.size(self.memoryBytes)) memory"
        return "\(self.computeType.rawValue): \(cpus), \(memory)"
    }

    /// Why a build that the kernel killed for memory failed.
    var outOfMemoryReason: String {
        "The build ran out of memory: compute type \(self.computeType.rawValue) gives it \(Self.size(self.memoryBytes))\(self.memoryCap != nil ? " (--build-memory-mib)" : ""). Choose a larger buildComputeType in the app's jobConfig, or use less memory."
    }

    static func size(_ bytes: Int64) -> String {
        bytes % (1 << 30) == 0 ? "\(bytes >> 30) GiB" : "\(bytes >> 20) MiB"
    }
}
