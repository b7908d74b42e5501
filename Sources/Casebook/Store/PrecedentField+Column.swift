extension PrecedentField {
    /// The field's column in `precedent` (both stores): its name in snake_case.
    var column: String {
        var out = ""
        for character in rawValue {
            if character.isUppercase { out += "_" + character.lowercased() } else { out.append(character) }
        }
        return out
    }
}
