import RegistryMatching

func runIndex() {
    report.add("index", "status", "not implemented yet")
}
