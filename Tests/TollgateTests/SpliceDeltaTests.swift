import Foundation
import Testing
@testable import TollgateAgent
@testable import TollgateControlPlane
import TollgateManifests
import TollgateModel
import TollgateProto
import TollgateSnapshot

/// Issue 9, target 3: a one-route change to a hostname of hundreds of routes reaches an agent that
/// accepts splices as the changed middle of its server file, not the whole file; the agent
/// rebuilds it from its live copy, checked by sha256 before and after, and anything that does not
/// fit is refused so that the agent starts over and receives whole files.
@Suite struct SpliceDeltaTests {
    // MARK: The splice computation

    static func data(_ s: String) -> Data { Data(s.utf8) }

    /// The common ends, and that the splice rebuilds the target exactly from the base.
    @discardableResult
    func roundTrip(_ base: Data, _ target: Data) -> (prefix: Int, suffix: Int) {
        let (p, s) = Splice.commonEnds(base: base, target: target)
        #expect(p + s <= min(base.count, target.count))
        let splice = Splice.make(base: base, baseSHA256: "", target: target)
        #expect(splice.apply(to: base) == target)
        #expect(splice.literal.count <= target.count - p - s)
        return (p, s)
    }

    @Test("common prefix and suffix: identical, empty, all changed, overlapping, multibyte UTF-8")
    func commonEnds() {
        let same = roundTrip(Self.data("server { a; b; }"), Self.data("server { a; b; }"))
        #expect(same == (16, 0))
        #expect(Splice.make(base: Self.data("server { a; b; }"), baseSHA256: "", target: Self.data("server { a; b; }"))
            == Splice(baseSHA256: "", copies: [.init(literalBefore: 0, baseOffset: 0, length: 16)], literal: Data()))
        #expect(roundTrip(Data(), Self.data("new file")) == (0, 0))
        #expect(roundTrip(Self.data("old file"), Data()) == (0, 0))
        #expect(roundTrip(Data(), Data()) == (0, 0))
        #expect(roundTrip(Self.data("abcd"), Self.data("wxyz")) == (0, 0))
        #expect(Splice.make(base: Self.data("abcd"), baseSHA256: "", target: Self.data("wxyz")).literal == Self.data("wxyz"))
        #expect(roundTrip(Self.data("a;X;z"), Self.data("a;YY;z")) == (2, 2))
        // Prefix and suffix would overlap: "aaa" → "aaaa" keeps 3 + 0, never 3 + 3.
        #expect(roundTrip(Self.data("aaa"), Self.data("aaaa")) == (3, 0))
        #expect(roundTrip(Self.data("aaaa"), Self.data("aaa")) == (3, 0))
        #expect(roundTrip(Self.data("abab"), Self.data("ab")) == (2, 0))
        // Bytes, not characters: é (C3 A9) → è (C3 A8) shares its first byte.
        #expect(roundTrip(Self.data("x é y"), Self.data("x è y")) == (3, 2))
        #expect(roundTrip(Self.data("日本語"), Self.data("日本人語")) == (6, 3))
        // A base that is a slice of a larger Data (non-zero startIndex) works the same.
        let big = Self.data("0123456789")
        #expect(roundTrip(big.subdata(in: 2..<8)[2...], Self.data("2345x7")) == (0, 1))
        #expect(roundTrip(Self.data("l1\nl2\n"), Self.data("l1\nl2\nl3")) == (6, 0))
    }

    /// 200 blocks of 3 lines, like a server file's locations.
    static func blocks(_ names: [String]) -> Data {
        data(names.map { "    # route \($0)\n    location /\($0) {\n        proxy_pass http://up;\n    }\n\n" }.joined())
    }

    @Test("a block moved elsewhere in the file costs about its own bytes, not the distance it moved")
    func movedBlock() throws {
        let names = (0..<200).map { "r\($0)" }
        let base = Self.blocks(names)
        var moved = names
        moved.remove(at: 20)
        moved.insert("changed", at: 180)
        let target = Self.blocks(moved)
        roundTrip(base, target)
        let splice = try #require(Splice.plan(base: base, baseSHA256: "h", target: target))
        #expect(splice.wireBytes < 400, "\(splice.wireBytes) bytes for a \(target.count)-byte file")
        // Repeated lines (braces, proxy_pass) are copied only as part of a run, never jumped to.
        var shuffled = names
        shuffled.swapAt(3, 150)
        roundTrip(base, Self.blocks(shuffled))
    }

    @Test("a splice is planned only when it saves: not for small files, not when most bytes are new")
    func planThreshold() throws {
        let base = Data(repeating: UInt8(ascii: "a"), count: 4000)
        var oneByte = base
        oneByte[2000] = UInt8(ascii: "b")
        let splice = try #require(Splice.plan(base: base, baseSHA256: "h", target: oneByte))
        #expect(splice.copies == [.init(literalBefore: 0, baseOffset: 0, length: 2000), .init(literalBefore: 1, baseOffset: 2001, length: 1999)])
        #expect(splice.literal == Self.data("b"))
        #expect(Splice.plan(base: base, baseSHA256: "h", target: Data(repeating: UInt8(ascii: "c"), count: 4000)) == nil)
        #expect(Splice.plan(base: Data(), baseSHA256: "h", target: oneByte) == nil)
        #expect(Splice.plan(base: Self.data("abc"), baseSHA256: "h", target: Self.data("abd")) == nil, "below the minimum size")
    }

    @Test("applying refuses runs outside the base and new bytes that are not there")
    func applyRefusesWhatDoesNotFit() {
        let base = Self.data("abcdef")
        let ok = Splice(baseSHA256: "", copies: [.init(literalBefore: 0, baseOffset: 0, length: 3), .init(literalBefore: 1, baseOffset: 3, length: 3)],
                        literal: Self.data("-+"))
        #expect(ok.apply(to: base) == Self.data("abc-def+"))
        #expect(ok.apply(to: Self.data("abcde")) == nil)
        #expect(Splice(baseSHA256: "", copies: [.init(literalBefore: 0, baseOffset: 1, length: Int.max)], literal: Data()).apply(to: base) == nil)
        #expect(Splice(baseSHA256: "", copies: [.init(literalBefore: 0, baseOffset: Int.max, length: 1)], literal: Data()).apply(to: base) == nil)
        #expect(Splice(baseSHA256: "", copies: [.init(literalBefore: 3, baseOffset: 0, length: 1)], literal: Self.data("ab")).apply(to: base) == nil)
        #expect(Splice(baseSHA256: "", copies: [.init(literalBefore: -1, baseOffset: 0, length: 1)], literal: Self.data("ab")).apply(to: base) == nil)
    }

    @Test("the wire: a spliced upsert carries the new bytes; split into parts, the splice stays on the first piece")
    func wireAndParts() throws {
        let target = Data(repeating: UInt8(ascii: "x"), count: 5000)
        var d = SnapshotDelivery(gateway: GatewayRef(namespace: "ns", name: "gw"), version: 2, digest: "d", full: false,
                                 baseVersion: 1, trigger: "t", upserts: [("servers/a.conf", RenderedFile(data: target))], removals: [])
        d.splices["servers/a.conf"] = Splice(baseSHA256: String(repeating: "a", count: 64),
                                             copies: [.init(literalBefore: 0, baseOffset: 0, length: 100), .init(literalBefore: 4700, baseOffset: 100, length: 200)],
                                             literal: Data(repeating: UInt8(ascii: "x"), count: 4700))
        let messages = AgentWire.messages(d)
        #expect(messages.count == 1)
        let u = try #require(messages.first?.snapshot.upserts.first)
        #expect(u.hasSplice && u.splice.runs.map(\.length) == [100, 200] && u.splice.runs.map(\.literalBefore) == [0, 4700])
        #expect(u.contents.count == 4700)
        #expect(u.sha256 == RenderedFile(data: target).sha256)

        let parts = SnapshotParts.split(messages[0].snapshot, maxPartBytes: 1024)
        #expect(parts.count > 1)
        #expect(parts.flatMap { $0.upserts }.dropFirst().allSatisfy { !$0.hasSplice && $0.sha256.isEmpty })
        var assembler = SnapshotAssembler()
        var whole: Tollgate_V1_Snapshot?
        for p in parts { whole = try assembler.add(p) }
        let rebuilt = try #require(whole?.upserts.first)
        #expect(rebuilt.splice == u.splice && rebuilt.contents == u.contents && rebuilt.sha256 == u.sha256)
    }

    // MARK: Through the controller and the agent's reconstruction

    /// One Gateway, one hostname holding `routes` routes; a connected agent holding version 1.
    struct Setup {
        let core: ControllerCore
        var store: Store
        let gw: GatewayRef
        let v1: Snapshot
        let edited = ObjectKey(kind: .httpRoute, namespace: "bench", name: "r150")
        let serverFile = "servers/port-10000/h0.example.com.conf"

        init(routes: Int = 300) async throws {
            let decoded = ManifestDecoder().decode(
                text: GeneratedRoutes.manifests(routes: routes, gateways: 1, hostnames: 1), file: "splice.yaml")
            #expect(decoded.errors.isEmpty)
            var store = Store()
            for (o, _) in decoded.objects { store.upsert(o) }
            let core = ControllerCore()
            await core.update(store: store, changed: Set(store.allKeys))
            let gw = GatewayRef(ObjectKey(kind: .gateway, namespace: "bench", name: "gw0"))
            v1 = try #require(await core.history(gateway: gw)?.latest)
            self.core = core
            self.gw = gw
            self.store = store
        }

        /// Publishes version 2: one route's path changes.
        mutating func changeOneRoute() async throws -> Snapshot {
            store.httpRoutes[edited]!.spec.rules![0].matches![0].path!.value = "/changed/route"
            await core.update(store: store, changed: [edited])
            let latest = try #require(await core.history(gateway: gw)?.latest)
            #expect(latest.version > v1.version)
            return latest
        }
    }

    /// A config root whose live tree is `files` as `version`.
    static func liveRoot(_ files: FileSet, version: UInt64) throws -> (ConfigRoot, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tollgate-splice-\(UUID().uuidString)").path
        let root = ConfigRoot(path: dir)
        try root.prepare()
        let name = ConfigRoot.versionDirectoryName(version: version, digest: files.digest)
        try TreeStager.stage(files, extra: [:], record: VersionRecord(version: version, digest: files.digest),
                             into: root.versionsDirectory + "/" + name)
        try FileManager.default.createSymbolicLink(atPath: root.currentLink, withDestinationPath: "versions/" + name)
        return (root, dir)
    }

    /// A delivery as the agent receives it: through the wire messages and the assembler.
    static func received(_ d: SnapshotDelivery) throws -> (Tollgate_V1_Snapshot, Int) {
        var assembler = SnapshotAssembler()
        var whole: Tollgate_V1_Snapshot?
        var bytes = 0
        for m in AgentWire.messages(d) {
            bytes += try m.serializedData().count
            whole = try assembler.add(m.snapshot)
        }
        return (try #require(whole), bytes)
    }

    func hello(_ s: Setup, accepts: Bool, hashes: [String: String]? = nil) -> AgentHello {
        AgentHello(gateway: s.gw, agentID: "splice-test", appliedVersion: s.v1.version, appliedDigest: s.v1.digest,
                   fileHashes: hashes ?? s.v1.files.fileHashes, acceptsSplices: accepts)
    }

    @Test("300 routes on one hostname: a one-route change is a splice under 16 KiB, rebuilt by the agent into the new file")
    func oneRouteSplice() async throws {
        var s = try await Setup()
        let (session, stream) = await s.core.connect(hello: hello(s, accepts: true))
        var deliveries = stream.makeAsyncIterator()
        let v2 = try await s.changeOneRoute()
        let d = try #require(await deliveries.next())
        #expect(!d.full && d.upserts.map(\.path) == [s.serverFile])
        #expect(d.splices[s.serverFile]?.baseSHA256 == s.v1.files.files[s.serverFile]?.sha256)
        let whole = try #require(v2.files.files[s.serverFile]).contents.count
        let (snap, bytes) = try Self.received(d)
        #expect(whole > 32 * 1024, "the server file is \(whole) bytes")
        #expect(bytes < 16 * 1024, "the delta is \(bytes) bytes")
        #expect(bytes * 10 < whole)
        print("one-route change, \(s.store.httpRoutes.count) routes on one hostname: \(bytes) bytes on the wire as a splice; the whole server file is \(whole) bytes")

        let (root, dir) = try Self.liveRoot(s.v1.files, version: s.v1.version)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (files, claimed) = try AgentClient.reconstruct(snap, root: root)
        #expect(files == v2.files)
        #expect(claimed == v2.files.fileHashes)
        await s.core.result(session: session, ApplyReport(version: d.version, outcome: .applied))
        await s.core.disconnect(session: session)
    }

    @Test("a splice whose base is not the live file is refused; the agent's next hello (no splices) gets whole files")
    func wrongBaseRefused() async throws {
        var s = try await Setup()
        let (session, stream) = await s.core.connect(hello: hello(s, accepts: true))
        var deliveries = stream.makeAsyncIterator()
        let v2 = try await s.changeOneRoute()
        let d = try #require(await deliveries.next())
        #expect(d.splices[s.serverFile] != nil)
        let (snap, _) = try Self.received(d)

        // Someone edited the live server file: the splice does not apply to it.
        var edited = s.v1.files
        var file = try #require(edited.files[s.serverFile])
        file.contents.append(Data("# edited by hand\n".utf8))
        edited.files[s.serverFile] = file
        let (root, dir) = try Self.liveRoot(edited, version: s.v1.version)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: SpliceMismatch.self) { try AgentClient.reconstruct(snap, root: root) }
        await s.core.disconnect(session: session)

        // A result sha256 that does not match is refused too (nothing partial is used).
        var corrupt = snap
        corrupt.upserts[0].contents.append(Data("x".utf8))
        let (goodRoot, goodDir) = try Self.liveRoot(s.v1.files, version: s.v1.version)
        defer { try? FileManager.default.removeItem(atPath: goodDir) }
        #expect(throws: SpliceMismatch.self) { try AgentClient.reconstruct(corrupt, root: goodRoot) }
        // A splice in a full version has no base.
        var full = snap
        full.full = true
        #expect(throws: SpliceMismatch.self) { try AgentClient.reconstruct(full, root: goodRoot) }

        // The agent reconnects with what is live and without splices: the file comes whole.
        let live = try #require(try root.liveState())
        let (again, stream2) = await s.core.connect(hello: hello(s, accepts: false, hashes: live.fileHashes))
        var deliveries2 = stream2.makeAsyncIterator()
        let d2 = try #require(await deliveries2.next())
        #expect(d2.splices.isEmpty && d2.upserts.map(\.path) == [s.serverFile])
        let (snap2, _) = try Self.received(d2)
        #expect(snap2.upserts.allSatisfy { !$0.hasSplice })
        let (files, _) = try AgentClient.reconstruct(snap2, root: root)
        #expect(files == v2.files)
        await s.core.disconnect(session: again)

        // Even accepting splices, a base the controller never published is not spliced against.
        let (third, stream3) = await s.core.connect(hello: hello(s, accepts: true, hashes: live.fileHashes))
        var deliveries3 = stream3.makeAsyncIterator()
        let d3 = try #require(await deliveries3.next())
        #expect(d3.splices.isEmpty && d3.upserts.map(\.path) == [s.serverFile])
        await s.core.disconnect(session: third)
    }

    @Test("an agent without the capability receives whole files")
    func oldAgentGetsWholeFiles() async throws {
        var s = try await Setup()
        let (session, stream) = await s.core.connect(hello: hello(s, accepts: false))
        var deliveries = stream.makeAsyncIterator()
        let v2 = try await s.changeOneRoute()
        let d = try #require(await deliveries.next())
        #expect(d.splices.isEmpty && d.upserts.map(\.path) == [s.serverFile])
        let (snap, bytes) = try Self.received(d)
        #expect(snap.upserts.allSatisfy { !$0.hasSplice })
        let whole = try #require(v2.files.files[s.serverFile]).contents.count
        #expect(bytes > whole)
        await s.core.disconnect(session: session)
    }

    @Test("a hello's accepts_splices reaches the domain hello; old hellos say false")
    func helloCapability() throws {
        var h = Tollgate_V1_Hello()
        h.gateway = "ns/gw"
        h.agentID = "a"
        #expect(try AgentWire.hello(h).acceptsSplices == false)
        h.acceptsSplices = true
        #expect(try AgentWire.hello(h).acceptsSplices == true)
    }
}
