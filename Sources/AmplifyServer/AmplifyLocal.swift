/// Facts about this build of amplify-local.
public enum AmplifyLocal {
    public static let version = "0.1.0"
}
