// RegistryMatching — placeholder so the package builds; replaced by the module's real files.
