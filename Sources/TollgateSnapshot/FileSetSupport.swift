// Snapshots are made of file sets: users of this module (the agent) see `FileSet`,
// `RenderedFiles` and `RenderedFile` without depending on the NGINX renderer.
@_exported import TollgateFiles
