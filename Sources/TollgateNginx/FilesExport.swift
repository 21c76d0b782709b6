// The renderer's output is a `RenderedFiles`: its users see the file set types with this module.
@_exported import TollgateFiles
