import Crypto
import Foundation
import SwiftASN1
import TollgateModel
import X509

/// Parses and checks PEM certificates and keys. No I/O.
enum PEMValidation {
    struct Failure: Error { var message: String }

    /// Checks a `tls.crt`/`tls.key` pair: both present, parseable, and the key matches the leaf.
    static func keyPair(certificate: Data?, key: Data?, source: ObjectKey) -> Result<TLSMaterial, Failure> {
        guard let certificate, !certificate.isEmpty else { return .failure(Failure(message: "\(source) has no tls.crt")) }
        guard let key, !key.isEmpty else { return .failure(Failure(message: "\(source) has no tls.key")) }
        guard let certText = String(data: certificate, encoding: .utf8),
              let keyText = String(data: key, encoding: .utf8) else {
            return .failure(Failure(message: "\(source) tls.crt or tls.key is not PEM text"))
        }
        let chain: [Certificate]
        switch certificates(certText) {
        case .success(let c): chain = c
        case .failure(let f): return .failure(Failure(message: "\(source) tls.crt: \(f.message)"))
        }
        let privateKey: Certificate.PrivateKey
        do {
            let docs = try PEMDocument.parseMultiple(pemString: keyText)
            guard docs.count == 1 else { return .failure(Failure(message: "\(source) tls.key must hold exactly one PEM private key")) }
            privateKey = try Certificate.PrivateKey(pemDocument: docs[0])
        } catch {
            return .failure(Failure(message: "\(source) tls.key is not a valid PEM private key"))
        }
        guard privateKey.publicKey == chain[0].publicKey else {
            return .failure(Failure(message: "\(source) tls.key does not match the certificate in tls.crt"))
        }
        return .success(TLSMaterial(id: fileID(source), certificatePEM: normalized(certText),
                                    keyPEM: normalized(keyText), notAfter: chain[0].notValidAfter, source: source))
    }

    /// Parses one or more PEM certificates; every block must be a certificate.
    static func certificates(_ text: String) -> Result<[Certificate], Failure> {
        let docs: [PEMDocument]
        do { docs = try PEMDocument.parseMultiple(pemString: text) } catch {
            return .failure(Failure(message: "is not valid PEM"))
        }
        guard !docs.isEmpty else { return .failure(Failure(message: "holds no PEM certificate")) }
        var out: [Certificate] = []
        for (i, d) in docs.enumerated() {
            guard d.discriminator == "CERTIFICATE" else {
                return .failure(Failure(message: "PEM block \(i + 1) is a \(d.discriminator), not a CERTIFICATE"))
            }
            do { out.append(try Certificate(derEncoded: d.derBytes)) } catch {
                return .failure(Failure(message: "PEM block \(i + 1) is not a valid X.509 certificate"))
            }
        }
        return .success(out)
    }

    /// A note when a certificate expired or expires within 30 days, else nil.
    static func expiryNote(_ notAfter: Date, subject: String, now: Date) -> String? {
        let days = Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down))
        if notAfter <= now { return "certificate \(subject) expired on \(iso(notAfter))" }
        if days < 30 { return "certificate \(subject) expires in \(days) day\(days == 1 ? "" : "s") (\(iso(notAfter)))" }
        return nil
    }

    static func iso(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: d)
    }

    /// Text with trailing whitespace trimmed and one final newline.
    static func normalized(_ s: String) -> String {
        var t = s
        while let last = t.last, last.isWhitespace { t.removeLast() }
        return t + "\n"
    }

    /// `ns_name` made safe for file names.
    /// A file name component for an object's material: `NAMESPACE_NAME` when that is short and
    /// plain, otherwise a shortened form with a hash of the key, so no name can be too long for
    /// the file system or collide with another object's.
    static func fileID(_ key: ObjectKey) -> String { fileID([key]) }

    /// `fileID` for material built from several objects (a CA bundle), joined by `+`.
    static func fileID(_ keys: [ObjectKey]) -> String {
        let plain = keys.map { "\($0.namespace)_\($0.name)" }.joined(separator: "+")
        let clean = sanitize(plain)
        if clean == plain && clean.utf8.count <= 64 { return clean }
        let identity = keys.map { "\($0.kind.rawValue)/\($0.namespace)/\($0.name)" }.joined(separator: "\n")
        return String(clean.prefix(48)) + "-" + Hex.encode(SHA256.hash(data: Data(identity.utf8)).prefix(6))
    }

    static func sanitize(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { u in
            ("a"..."z").contains(u) || ("A"..."Z").contains(u) || ("0"..."9").contains(u) || u == "-" || u == "_" || u == "." ? u : "_"
        }))
    }
}
