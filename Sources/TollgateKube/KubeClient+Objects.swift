import Foundation
import NIOHTTP1

/// One page of a list, or a whole list once every page was read.
public struct KubeList: Sendable {
    /// The objects, with `apiVersion` and `kind` filled in.
    public var items: [KubeObject]
    /// The list's resourceVersion: watch from here to see every later change.
    public var resourceVersion: String
}

extension KubeClient {
    /// The object, or nil when it does not exist (404). `timeout` overrides ``requestTimeout``.
    public func get(
        _ resource: ResourceType, namespace: String?, name: String, timeout: Duration? = nil
    ) async throws -> KubeObject? {
        do {
            let path = APIPath.path(resource, namespace: namespace, name: name)
            let response = try await send(.GET, path, timeout: timeout)
            return try KubeObject(json: response.body, of: resource)
        } catch let error as KubeError where error.code == .notFound {
            return nil
        }
    }

    /// Every object of `resource` (in `namespace`, or all namespaces when nil) that the selectors
    /// match, reading `limit` objects per page and following `continue` tokens. When a continue
    /// token expires mid-list (410), the list starts over (twice at most).
    /// - Throws: ``KubeError`` `.notFound` when the resource type is not served.
    public func list(
        _ resource: ResourceType, namespace: String? = nil, labelSelector: LabelSelector? = nil,
        fieldSelector: String? = nil, limit: Int = 500
    ) async throws -> KubeList {
        var restarts = 0
        while true {
            do {
                return try await listPages(
                    resource, namespace: namespace, labelSelector: labelSelector,
                    fieldSelector: fieldSelector, limit: limit)
            } catch let error as KubeError where error.code == .expired && restarts < 2 {
                restarts += 1
                logger.info("list continue token expired; listing again", metadata: ["resource": "\(resource)"])
            }
        }
    }

    private func listPages(
        _ resource: ResourceType, namespace: String?, labelSelector: LabelSelector?,
        fieldSelector: String?, limit: Int
    ) async throws -> KubeList {
        let path = APIPath.path(resource, namespace: namespace)
        var items: [KubeObject] = []
        var continueToken: String?
        while true {
            let query = APIPath.query([
                ("labelSelector", labelSelector.flatMap { $0.isEmpty ? nil : $0.description }),
                ("fieldSelector", fieldSelector),
                ("limit", limit > 0 ? String(limit) : nil),
                ("continue", continueToken),
            ])
            let response = try await send(.GET, path, query: query)
            let page = try ListPage(response.body, of: resource, request: "GET \(path)")
            items += page.items
            guard let next = page.continueToken, !next.isEmpty else {
                return KubeList(items: items, resourceVersion: page.resourceVersion)
            }
            continueToken = next
        }
    }

    /// Creates the object; returns it as stored. Throws `.alreadyExists` when the name is taken.
    public func create(
        _ resource: ResourceType, namespace: String?, json: Data, timeout: Duration? = nil
    ) async throws -> KubeObject {
        let response = try await send(.POST, APIPath.path(resource, namespace: namespace), body: json, timeout: timeout)
        return try KubeObject(json: response.body, of: resource)
    }

    /// Replaces the object (PUT). The JSON must carry `metadata.resourceVersion`; a stale one
    /// throws `.conflict`.
    public func replace(
        _ resource: ResourceType, namespace: String?, name: String, json: Data, timeout: Duration? = nil
    ) async throws -> KubeObject {
        let path = APIPath.path(resource, namespace: namespace, name: name)
        let response = try await send(.PUT, path, body: json, timeout: timeout)
        return try KubeObject(json: response.body, of: resource)
    }

    /// Replaces the object's status (PUT `…/status`); only `status` changes. A stale
    /// `metadata.resourceVersion` throws `.conflict`.
    public func replaceStatus(
        _ resource: ResourceType, namespace: String?, name: String, json: Data
    ) async throws -> KubeObject {
        let path = APIPath.path(resource, namespace: namespace, name: name, subresource: "status")
        let response = try await send(.PUT, path, body: json)
        return try KubeObject(json: response.body, of: resource)
    }

    /// Applies a JSON merge patch (RFC 7386) to the object, or to its status with `subresource: "status"`.
    public func patch(
        _ resource: ResourceType, namespace: String?, name: String, mergePatch: Data, subresource: String? = nil
    ) async throws -> KubeObject {
        let path = APIPath.path(resource, namespace: namespace, name: name, subresource: subresource)
        let response = try await send(.PATCH, path, body: mergePatch, contentType: "application/merge-patch+json")
        return try KubeObject(json: response.body, of: resource)
    }

    /// Deletes the object. Returns false when it did not exist (404).
    @discardableResult
    public func delete(_ resource: ResourceType, namespace: String?, name: String) async throws -> Bool {
        do {
            _ = try await send(.DELETE, APIPath.path(resource, namespace: namespace, name: name))
            return true
        } catch let error as KubeError where error.code == .notFound {
            return false
        }
    }
}

/// One decoded list response: items, resourceVersion and continue token.
struct ListPage {
    var items: [KubeObject]
    var resourceVersion: String
    var continueToken: String?

    private struct ListMeta: Decodable {
        var resourceVersion: String?
        var `continue`: String?
    }

    init(_ body: Data, of resource: ResourceType, request: String) throws {
        let raw = RawJSON(body)
        do {
            let members = try raw.members()
            let meta = try members["metadata"].map { try JSONDecoder().decode(ListMeta.self, from: raw.data($0)) }
            resourceVersion = meta?.resourceVersion ?? ""
            continueToken = meta?.continue
            let ranges = try members["items"].map { range throws(RawJSON.Malformed) in try raw.elements(in: range) } ?? []
            items = try ranges.map { try KubeObject(json: raw.data($0), of: resource) }
        } catch let error as KubeError {
            throw KubeError(code: .malformedResponse, request: request, message: "list item: \(error.message)")
        } catch {
            throw KubeError(code: .malformedResponse, request: request, message: "list response: \(error)")
        }
    }
}
