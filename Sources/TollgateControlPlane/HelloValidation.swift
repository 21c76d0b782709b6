import TollgateAdmission
import TollgateModel
import TollgateProto
import TollgateSnapshot

/// Checks what an agent says about itself before the controller believes any of it. An agent is
/// input like a manifest: whatever it sends, it can only ever affect its own Gateway's session,
/// and no number it reports can overflow the controller's arithmetic.
enum HelloValidation {
    /// Most file hashes a hello may carry (a Gateway with 100k files is far beyond any real one).
    static let maxFileHashes = 100_000

    /// The hello as the controller's domain type, or the reason it is refused.
    static func check(_ hello: Tollgate_V1_Hello) -> Result<AgentHello, HelloRefusal> {
        let parts = hello.gateway.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, DNSName.isLabel(parts[0]), DNSName.isSubdomain(parts[1]) else {
            return .failure(HelloRefusal("hello.gateway must be NAMESPACE/NAME with DNS names, got \(EchoedText.quoted(hello.gateway))"))
        }
        guard isAgentID(hello.agentID) else {
            return .failure(HelloRefusal("hello.agent_id must be 1-256 printable ASCII characters without spaces, got \(EchoedText.quoted(hello.agentID))"))
        }
        guard hello.appliedVersion <= SnapshotHistory.maxVersion else {
            return .failure(HelloRefusal("hello.applied_version \(hello.appliedVersion) is above the highest version a controller issues (\(SnapshotHistory.maxVersion))"))
        }
        guard hello.fileHashes.count <= maxFileHashes else {
            return .failure(HelloRefusal("hello.file_hashes has \(hello.fileHashes.count) entries; the limit is \(maxFileHashes)"))
        }
        for (path, hash) in hello.fileHashes {
            guard PathSafety.isSafe(path) else { return .failure(HelloRefusal("hello.file_hashes names an unsafe path \(EchoedText.quoted(path))")) }
            guard isSHA256(hash) else { return .failure(HelloRefusal("hello.file_hashes[\(EchoedText.quoted(path))] is not a sha256 in hex")) }
        }
        guard hello.appliedDigest.isEmpty || isSHA256(hello.appliedDigest) else {
            return .failure(HelloRefusal("hello.applied_digest is not a sha256 in hex"))
        }
        return .success(AgentHello(gateway: GatewayRef(namespace: parts[0], name: parts[1]), agentID: hello.agentID,
                                   dryRun: hello.dryRun, appliedVersion: hello.appliedVersion,
                                   appliedDigest: hello.appliedDigest, fileHashes: hello.fileHashes,
                                   acceptsSplices: hello.acceptsSplices))
    }

    /// 1-256 printable ASCII characters without spaces (the default is `host:/config/root`), so an
    /// id can never break a log line.
    static func isAgentID(_ s: String) -> Bool {
        (1...256).contains(s.utf8.count) && s.unicodeScalars.allSatisfy { (0x21...0x7E).contains($0.value) }
    }

    static func isSHA256(_ s: String) -> Bool {
        s.utf8.count == 64 && s.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}

/// Why a hello was refused; the agent gets it as the stream's error.
public struct HelloRefusal: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ d: String) { description = d }
}
