package dev.smelt.model.store;

import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * A stored model's name as Ollama writes it: {@code [NAMESPACE/]MODEL[:TAG]}, the tag {@code latest} when
 * none is given. Names are case-insensitive (stored lower-case, as Ollama does) and restricted to characters
 * that are safe as path segments on every file system. Immutable.
 *
 * @param namespace {@code library} unless the name has a {@code NAMESPACE/} prefix
 */
public record ModelName(String namespace, String model, String tag) {
    /** The tag a name without {@code :TAG} has. */
    public static final String DEFAULT_TAG = "latest";
    /** The namespace a name without {@code NAMESPACE/} has (Ollama's). */
    public static final String DEFAULT_NAMESPACE = "library";

    private static final Pattern PART = Pattern.compile("[a-z0-9][a-z0-9._-]{0,79}");
    private static final Pattern TAG = Pattern.compile("[a-z0-9_][a-z0-9._-]{0,127}");

    /** Parses {@code [NAMESPACE/]MODEL[:TAG]}; throws naming what is wrong. */
    public static ModelName parse(String s) {
        ModelName n = tryParse(s);
        if (n == null) {
            throw new IllegalArgumentException("'" + s + "' is not a model name: use [NAMESPACE/]MODEL[:TAG] with letters, digits, "
                    + "'.', '_' and '-' (each part starting with a letter or digit), e.g. my-model or my-model:v2");
        }
        return n;
    }

    /** The parsed name, or null when {@code s} is not a valid name (a path, an {@code hf:} reference...). */
    public static ModelName tryParse(String s) {
        if (s == null || s.isEmpty()) {
            return null;
        }
        String lower = s.toLowerCase(java.util.Locale.ROOT);
        int colon = lower.lastIndexOf(':');
        String tag = DEFAULT_TAG;
        String rest = lower;
        if (colon >= 0) {
            tag = lower.substring(colon + 1);
            rest = lower.substring(0, colon);
        }
        int slash = rest.indexOf('/');
        String ns = DEFAULT_NAMESPACE;
        String model = rest;
        if (slash >= 0) {
            ns = rest.substring(0, slash);
            model = rest.substring(slash + 1);
        }
        if (!PART.matcher(ns).matches() || !PART.matcher(model).matches() || !TAG.matcher(tag).matches()
                || model.endsWith(".gguf") || model.contains("..") || ns.contains("..")) {
            return null;
        }
        return new ModelName(ns, model, tag);
    }

    /** The manifest's place below the store's manifests folder: {@code NAMESPACE/MODEL/TAG}. */
    Path manifestPath(Path manifests) {
        return manifests.resolve(namespace).resolve(model).resolve(tag);
    }

    /** The short form: {@code MODEL:TAG}, with {@code NAMESPACE/} when it is not {@code library}. */
    @Override
    public String toString() {
        return (namespace.equals(DEFAULT_NAMESPACE) ? "" : namespace + "/") + model + ":" + tag;
    }

    /** {@link #toString} without {@code :latest}: the name a server serves this model under. */
    public String servedName() {
        String s = toString();
        return tag.equals(DEFAULT_TAG) ? s.substring(0, s.length() - DEFAULT_TAG.length() - 1) : s;
    }
}
