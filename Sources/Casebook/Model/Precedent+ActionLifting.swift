/// Moving a decision's action out of its context, for data written before `action` was a field:
/// left in `context` it would be embedded, and a search would then match on what was done rather
/// than on the situation.
extension Precedent {
    /// This precedent with `context[key]` (a top-level string) moved into ``action``. A precedent
    /// without the key is returned unchanged; one that already names the same action just loses
    /// the key. Throws when the value is not a string or contradicts the precedent's own `action`.
    public func liftingAction(fromContextKey key: String) throws(CasebookError) -> Precedent {
        guard let value = context[key] else { return self }
        guard case .string(let named) = value, !named.isEmpty else {
            throw .invalidField("context.\(key) must be a non-empty string to become the action")
        }
        if let action, action != named {
            throw .invalidField("context.\(key) is \"\(named)\" but the precedent's action is \"\(action)\"")
        }
        var out = self
        out.action = named
        out.context.removeValue(forKey: key)
        return out
    }
}
