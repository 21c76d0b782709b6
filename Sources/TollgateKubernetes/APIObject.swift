import TollgateKube

/// An object as the API server sends it (`TollgateKube.KubeObject`: JSON and a parsed header);
/// named apart from the model's `KubeObject` protocol.
typealias APIObject = TollgateKube.KubeObject
