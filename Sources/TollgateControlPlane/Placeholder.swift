// Control plane module.
