// `Hex` lives with the rendered file set (its digests use it); the model modules see it as theirs.
@_exported import enum TollgateFiles.Hex
