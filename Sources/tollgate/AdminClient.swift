import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import TollgateControlPlane
import TollgateProto

/// How the CLI finds a running controller: `--controller unix:///PATH`, else the state
/// directory's socket.
struct AdminOptions: ParsableArguments {
    @Option(help: "State directory of the running controller (same default as standalone).") var stateDir: String?
    @Option(help: "Controller admin address, unix:///PATH.") var controller: String?

    var socketPath: String {
        get throws {
            if let c = controller {
                guard c.hasPrefix("unix://") else { throw ValidationError("--controller must be unix:///PATH (the admin service listens on the Unix socket)") }
                return String(c.dropFirst("unix://".count))
            }
            return StateDirectory(path: stateDir).socket
        }
    }

    func withAdmin<R: Sendable>(_ body: @Sendable @escaping (Tollgate_V1_AdminService.Client<HTTP2ClientTransport.Posix>) async throws -> R) async throws -> R {
        let path = try socketPath
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no controller socket at \(path): is `tollgate standalone` (or `tollgate controller`) running with this --state-dir?")
        }
        do {
            // Status and snapshot listings of a big installation can exceed gRPC's default 4 MiB
            // response limit; the admin socket is local and trusted, so allow up to 1 GiB.
            var method = MethodConfig(names: [MethodConfig.Name(service: "")])
            method.maxResponseMessageBytes = 1 << 30
            let transport = try HTTP2ClientTransport.Posix(target: .unixDomainSocket(path: path), transportSecurity: .plaintext,
                                                            serviceConfig: ServiceConfig(methodConfig: [method]))
            return try await withGRPCClient(transport: transport) { client in
                try await body(Tollgate_V1_AdminService.Client(wrapping: client))
            }
        } catch let e as RPCError {
            throw ValidationError(e.code == .unavailable ? "cannot reach the controller at \(path): \(e.message)" : e.message)
        }
    }
}
