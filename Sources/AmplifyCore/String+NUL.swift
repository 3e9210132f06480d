extension String {
    /// The text with each NUL character replaced by U+FFFD: what the stores keep of a build's output, since
    /// SQLite cuts text at a NUL and PostgreSQL refuses it.
    public var replacingNUL: String {
        guard self.utf8.contains(0) else { return self }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: self.unicodeScalars.map { $0.value == 0 ? "\u{FFFD}" : $0 })
        return String(scalars)
    }
}
