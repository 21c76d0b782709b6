import Testing

/// Suites that serve the examples on their fixed ports (8080, 8443, 9443, backends 1808x/18443)
/// are nested here so they never run at the same time.
@Suite(.serialized) struct ExamplePortsTests {}
