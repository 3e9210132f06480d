/// How requests change environment variables (UpdateApp, UpdateBranch, an `autoBranchCreationConfig`), as AWS does
/// now: an absent or empty map changes nothing; one key of a single space, `{" ": ""}` (what Terraform sends), clears
/// them; an empty key is refused; any other map replaces them.
public enum EnvironmentVariables {
    /// The map that clears.
    public static let clearing = [" ": ""]

    /// An empty key is BadRequestException, as on AWS (Terraform sent `{"": ""}` to clear until AWS stopped taking it).
    public static func requireNoEmptyKey(_ update: [String: String]?) throws(AmplifyError) {
        if update?.keys.contains("") == true {
            throw .badRequest("Environment variables cannot have an empty key.")
        }
    }

    public static func apply(_ update: [String: String]?, to variables: inout [String: String]) throws(AmplifyError) {
        try self.requireNoEmptyKey(update)
        guard let update, !update.isEmpty else { return }
        variables = update == self.clearing ? [:] : update
    }
}
