import Foundation

/// A kubeconfig for one cluster, user and context, as `kubectl config view --raw` would print it.
enum Kubeconfig {
    static func render(server: String, caPEM: String, token: String, namespace: String?) -> String {
        let ca = Data(caPEM.utf8).base64EncodedString()
        var context = """
              cluster: double
              user: double
        """
        if let namespace { context += "\n      namespace: \(namespace)" }
        return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: double
          cluster:
            server: \(server)
            certificate-authority-data: \(ca)
        users:
        - name: double
          user:
            token: \(token)
        contexts:
        - name: double
          context:
        \(context)
        current-context: double
        preferences: {}

        """
    }
}
