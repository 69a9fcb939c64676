package dev.smelt.model.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.smelt.model.lora.LoraFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The subset of Ollama's Modelfile smelt honours: {@code FROM} (a GGUF file or a stored name), {@code ADAPTER}
 * (a GGUF LoRA adapter file), {@code TEMPLATE} (a Jinja chat template, as GGUF's {@code tokenizer.chat_template};
 * Ollama's Go templates are refused), {@code SYSTEM} and {@code PARAMETER} (the request options smelt's Ollama API
 * honours). Instructions are case-insensitive, {@code #} starts a comment line, values may be quoted
 * ({@code "..."}) or span lines ({@code """..."""}). Anything else, {@code LICENSE}, {@code MESSAGE} and
 * {@code REQUIRES} included, is refused by name with the file and line. Relative paths are relative to the
 * Modelfile's folder. Immutable.
 *
 * @param from       the FROM value as written (a path or a stored name)
 * @param fromPath   FROM resolved against the Modelfile's folder
 * @param adapter    the adapter file, or null
 * @param parameters PARAMETER values by name ({@code stop} an array), possibly empty
 */
public record Modelfile(String from, Path fromPath, Path adapter, String template, String system, ObjectNode parameters) {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** PARAMETER names smelt honours, as numbers (integers where marked in {@link #INTEGER_PARAMETERS}), or strings for {@code stop}. */
    public static final Set<String> PARAMETERS = Set.of("temperature", "top_k", "top_p", "min_p", "repeat_penalty", "repeat_last_n",
            "presence_penalty", "frequency_penalty", "seed", "num_predict", "num_ctx", "stop");
    private static final Set<String> INTEGER_PARAMETERS = Set.of("top_k", "repeat_last_n", "seed", "num_predict", "num_ctx");
    /** What marks an Ollama (Go) template: {@code {{ .Prompt }}}, {@code {{ range }}}, {@code {{ if .System }}}, {@code {{ end }}}. */
    private static final String GO_TEMPLATE = "(?s).*\\{\\{-?\\s*(\\.|range |if \\.|end\\b).*";
    private static final String SUPPORTED = "FROM, ADAPTER, TEMPLATE, SYSTEM, PARAMETER";

    /** Parses {@code file}; every error names {@code file:line}. */
    public static Modelfile parse(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString(),
                file.toAbsolutePath().getParent());
    }

    /**
     * Parses Modelfile text ({@code where} names it in errors, {@code dir} resolves relative paths). A Modelfile
     * sent to Ollama's /api/create has no folder: pass the server's working directory.
     */
    public static Modelfile parse(String text, String where, Path dir) {
        String from = null;
        Path adapter = null;
        String template = null;
        String system = null;
        ObjectNode params = JSON.createObjectNode();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            int lineNo = i + 1;
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int sp = firstSpace(line);
            String instr = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
            String rest = sp < 0 ? "" : line.substring(sp).strip();
            if (rest.startsWith("\"\"\"")) { // a value over several lines, up to the closing """
                StringBuilder sb = new StringBuilder();
                String r = rest.substring(3);
                int start = lineNo;
                while (!r.contains("\"\"\"")) {
                    sb.append(r).append('\n');
                    if (++i >= lines.length) {
                        throw new IllegalArgumentException(where + ":" + start + ": " + instr + " opens \"\"\" that is never closed");
                    }
                    r = lines[i];
                }
                int end = r.indexOf("\"\"\"");
                if (!r.substring(end + 3).isBlank()) {
                    throw new IllegalArgumentException(where + ":" + (i + 1) + ": unexpected text after the closing \"\"\"");
                }
                rest = sb.append(r, 0, end).toString();
            } else if (rest.length() >= 2 && rest.startsWith("\"") && rest.endsWith("\"")) {
                rest = rest.substring(1, rest.length() - 1).replace("\\\"", "\"").replace("\\n", "\n");
            }
            String at = where + ":" + lineNo + ": ";
            switch (instr) {
                case "FROM" -> {
                    if (from != null) {
                        throw new IllegalArgumentException(at + "a second FROM (a Modelfile has one)");
                    }
                    from = required(rest, at, "FROM needs a GGUF file or a stored model name");
                }
                case "ADAPTER" -> {
                    if (adapter != null) {
                        throw new IllegalArgumentException(at + "a second ADAPTER (smelt applies one adapter per model)");
                    }
                    adapter = dir.resolve(required(rest, at, "ADAPTER needs a GGUF LoRA adapter file"));
                    if (Files.isDirectory(adapter) && Files.isRegularFile(adapter.resolve(LoraFiles.GGUF_NAME))) {
                        adapter = adapter.resolve(LoraFiles.GGUF_NAME); // a finetune output folder: its GGUF copy
                    } else if (Files.isDirectory(adapter)) {
                        throw new IllegalArgumentException(at + "ADAPTER " + adapter + " is a directory: the store keeps single files; "
                                + "give the adapter as GGUF (smelt finetune writes adapter.gguf into its output folder)");
                    }
                    if (!Files.isRegularFile(adapter)) {
                        throw new IllegalArgumentException(at + "ADAPTER " + adapter + ": no such file");
                    }
                }
                case "TEMPLATE" -> {
                    template = required(rest, at, "TEMPLATE needs a chat template");
                    if (template.matches(GO_TEMPLATE)) {
                        throw new IllegalArgumentException(at + "TEMPLATE is a Go template (Ollama's); smelt renders Jinja chat templates "
                                + "as in GGUF's tokenizer.chat_template ({% for message in messages %}...)");
                    }
                }
                case "SYSTEM" -> system = rest;
                case "PARAMETER" -> parameter(params, rest, at);
                case "LICENSE", "MESSAGE", "REQUIRES" -> throw new IllegalArgumentException(at + instr
                        + " is not supported by smelt (supported: " + SUPPORTED + ")");
                default -> throw new IllegalArgumentException(at + "unknown instruction '" + instr + "' (supported: " + SUPPORTED + ")");
            }
        }
        if (from == null) {
            throw new IllegalArgumentException(where + ": no FROM line (FROM a GGUF file or a stored model name)");
        }
        return new Modelfile(from, dir.resolve(from), adapter, template, system, params);
    }

    /**
     * The Modelfile an API request describes field by field (Ollama's /api/create: {@code from}, {@code template},
     * {@code system}, {@code parameters}), checked as the text form is; errors name the field.
     */
    public static Modelfile of(String from, Path dir, String template, String system, com.fasterxml.jackson.databind.JsonNode parameters) {
        if (from == null || from.isBlank()) {
            throw new IllegalArgumentException("'from' is required: a GGUF file on the server or a stored model name");
        }
        ObjectNode params = JSON.createObjectNode();
        if (parameters != null && !parameters.isNull()) {
            if (!parameters.isObject()) {
                throw new IllegalArgumentException("'parameters' must be an object, e.g. {\"temperature\": 0.2}");
            }
            for (var it = parameters.fields(); it.hasNext(); ) {
                var e = it.next();
                for (com.fasterxml.jackson.databind.JsonNode v : e.getValue().isArray() ? e.getValue() : JSON.createArrayNode().add(e.getValue())) {
                    parameter(params, e.getKey() + " " + v.asText(), "parameters." + e.getKey() + ": ");
                }
            }
        }
        if (template != null && template.matches(GO_TEMPLATE)) {
            throw new IllegalArgumentException("'template' is a Go template (Ollama's); smelt renders Jinja chat templates as in GGUF's "
                    + "tokenizer.chat_template");
        }
        return new Modelfile(from, dir.resolve(from), null, template, system, params);
    }

    private static void parameter(ObjectNode params, String rest, String at) {
        int sp = firstSpace(rest);
        if (sp < 0) {
            throw new IllegalArgumentException(at + "PARAMETER needs a name and a value, e.g. PARAMETER temperature 0.2");
        }
        String name = rest.substring(0, sp).toLowerCase(Locale.ROOT);
        String value = rest.substring(sp).strip();
        if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
            value = value.substring(1, value.length() - 1);
        }
        if (!PARAMETERS.contains(name)) {
            List<String> near = dev.smelt.model.text.Suggestions.nearest(name, PARAMETERS);
            throw new IllegalArgumentException(at + "PARAMETER " + name + " is not supported by smelt"
                    + (near.isEmpty() ? "" : "; did you mean " + String.join(" or ", near) + "?")
                    + " (supported: " + String.join(", ", new java.util.TreeSet<>(PARAMETERS)) + ")");
        }
        if (name.equals("stop")) {
            ArrayNode stops = params.has("stop") ? (ArrayNode) params.get("stop") : params.putArray("stop");
            stops.add(value);
            return;
        }
        try {
            if (INTEGER_PARAMETERS.contains(name)) {
                params.put(name, Long.parseLong(value));
            } else {
                double d = Double.parseDouble(value);
                if (!Double.isFinite(d)) {
                    throw new NumberFormatException();
                }
                params.put(name, d);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(at + "PARAMETER " + name + " must be " + (INTEGER_PARAMETERS.contains(name) ? "an integer" : "a number")
                    + ", got '" + value + "'");
        }
    }

    private static String required(String v, String at, String what) {
        if (v.isBlank()) {
            throw new IllegalArgumentException(at + what);
        }
        return v;
    }

    private static int firstSpace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }

    /** What this Modelfile adds to its FROM model. */
    public ModelStore.Extras extras() {
        return new ModelStore.Extras(adapter, template, system, parameters.isEmpty() ? null : parameters);
    }
}
