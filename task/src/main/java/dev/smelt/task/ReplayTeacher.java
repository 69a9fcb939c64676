package dev.smelt.task;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.smelt.client.Canonical;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A teacher STAND-IN for offline demos and tests: a local OpenAI-compatible chat endpoint that answers
 * a classification prompt by looking up the last user message in a labelled dataset and replaying its
 * label. It is not a model and knows nothing beyond that dataset; any real endpoint replaces it.
 * Unknown inputs get an HTTP 404 in OpenAI's error format. Usage is reported as an estimate
 * (ceil(characters / 4) per side) since there is no tokenizer. Serves {@code POST /v1/chat/completions}
 * (also with {@code "stream": true}, as server-sent events)
 * and {@code GET /v1/models}. Thread-safe; owns the HTTP server (close it).
 */
public final class ReplayTeacher implements AutoCloseable {
    public static final String MODEL = "replay-teacher";

    private final Map<String, String> labels;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong served = new AtomicLong();

    /** Serves the labels of {@code rows} (input → label; the first label of a repeated input wins) on host:port (0 = any free port). */
    public ReplayTeacher(List<DataFile.Row> rows, String host, int port) throws IOException {
        Map<String, String> m = new HashMap<>();
        for (DataFile.Row r : rows) {
            if (r.label() == null) {
                throw new IllegalArgumentException("line " + r.line() + ": the replay teacher needs a label for every input");
            }
            m.putIfAbsent(r.input().strip(), r.label());
        }
        this.labels = Map.copyOf(m);
        this.server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.setExecutor(executor);
        server.createContext("/v1/chat/completions", this::chat);
        server.createContext("/v1/models", ex -> {
            try (ex) {
                send(ex, 200, "{\"object\":\"list\",\"data\":[{\"id\":\"" + MODEL + "\",\"object\":\"model\",\"owned_by\":\"smelt\"}]}");
            }
        });
        server.start();
    }

    /** Base URL, e.g. {@code http://127.0.0.1:PORT/v1}. */
    public String url() {
        return "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort() + "/v1";
    }

    public int size() {
        return labels.size();
    }

    /** Answers served so far. */
    public long served() {
        return served.get();
    }

    private void chat(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestMethod().equals("POST")) {
                send(ex, 405, error("use POST", "invalid_request_error"));
                return;
            }
            JsonNode req;
            try {
                req = Canonical.JSON.readTree(ex.getRequestBody().readAllBytes());
            } catch (IOException e) {
                send(ex, 400, error("request body is not JSON", "invalid_request_error"));
                return;
            }
            JsonNode msgs = req.path("messages");
            String input = null;
            long promptChars = 0;
            for (JsonNode m : msgs) {
                promptChars += m.path("content").asText("").length();
                if (m.path("role").asText().equals("user")) {
                    input = m.path("content").asText("");
                }
            }
            if (input == null) {
                send(ex, 400, error("no user message", "invalid_request_error"));
                return;
            }
            String label = labels.get(input.strip());
            if (label == null) {
                send(ex, 404, error("the replay teacher has no label for this input (it only knows its dataset)", "not_found_error"));
                return;
            }
            long in = (promptChars + 3) / 4;
            long out = (label.length() + 3) / 4;
            if (req.path("stream").asBoolean(false)) {
                stream(ex, label, in, out);
                return;
            }
            ObjectNode o = Canonical.JSON.createObjectNode().put("id", "replay-" + served.incrementAndGet()).put("object", "chat.completion")
                    .put("created", 0).put("model", req.path("model").asText(MODEL));
            ObjectNode c = o.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
            c.putObject("message").put("role", "assistant").put("content", label);
            o.putObject("usage").put("prompt_tokens", in).put("completion_tokens", out).put("total_tokens", in + out);
            send(ex, 200, o.toString());
        }
    }

    /** Server-sent events: the label as one delta, a usage chunk, [DONE]. */
    private void stream(HttpExchange ex, String label, long in, long out) throws IOException {
        served.incrementAndGet();
        ObjectNode d = Canonical.JSON.createObjectNode().put("object", "chat.completion.chunk");
        ObjectNode c = d.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
        c.putObject("delta").put("role", "assistant").put("content", label);
        ObjectNode u = Canonical.JSON.createObjectNode().put("object", "chat.completion.chunk");
        u.putArray("choices");
        u.putObject("usage").put("prompt_tokens", in).put("completion_tokens", out).put("total_tokens", in + out);
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        ex.getResponseBody().write(("data: " + d + "\n\ndata: " + u + "\n\ndata: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
    }

    private static String error(String message, String type) {
        ObjectNode o = Canonical.JSON.createObjectNode();
        o.putObject("error").put("message", message).put("type", type).putNull("param").putNull("code");
        return o.toString();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
