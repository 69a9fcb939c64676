package dev.smelt.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * A local OpenAI-style chat endpoint that misbehaves on purpose. The last user message is the input;
 * a good answer is {@code "label:" + input} with usage prompt_tokens = input length, completion_tokens = 3.
 * The behaviour function gets (input, attempt number for that input from 0) and picks what to do.
 */
public final class FlakyServer implements AutoCloseable {
    public enum Act { STREAM_OK, STREAM_BREAK, STREAM_ERROR_EVENT, OK, RATE_LIMITED, RATE_LIMITED_DATE, ERROR_500, UNAVAILABLE, MALFORMED, TRUNCATED, SLOW, BAD_REQUEST, HANG }

    public final HttpServer server;
    final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> answered = new ConcurrentHashMap<>();
    final AtomicInteger okTotal = new AtomicInteger();
    final CountDownLatch release = new CountDownLatch(1);
    volatile BiFunction<String, Integer, Act> behaviour;
    volatile String retryAfter = "2";

    public FlakyServer(BiFunction<String, Integer, Act> behaviour) throws IOException {
        this.behaviour = behaviour;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", this::handle);
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            JsonNode req = Canonical.JSON.readTree(ex.getRequestBody().readAllBytes());
            JsonNode msgs = req.path("messages");
            String input = msgs.path(msgs.size() - 1).path("content").asText();
            int n = attempts.computeIfAbsent(input, k -> new AtomicInteger()).getAndIncrement();
            switch (behaviour.apply(input, n)) {
                case OK -> ok(ex, req, input);
                case STREAM_OK -> stream(ex, input, true, false);
                case STREAM_BREAK -> stream(ex, input, false, false);
                case STREAM_ERROR_EVENT -> stream(ex, input, false, true);
                case RATE_LIMITED -> {
                    ex.getResponseHeaders().add("Retry-After", retryAfter);
                    send(ex, 429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\"}}");
                }
                case RATE_LIMITED_DATE -> {
                    // an HTTP-date 3 s after the fake clock's start
                    ex.getResponseHeaders().add("Retry-After", "Thu, 01 Jan 2026 00:00:03 GMT");
                    send(ex, 429, "{\"error\":{\"message\":\"slow down\"}}");
                }
                case ERROR_500 -> send(ex, 500, "{\"error\":{\"message\":\"internal\"}}");
                case UNAVAILABLE -> send(ex, 503, "{\"error\":{\"message\":\"overloaded\"}}");
                case MALFORMED -> send(ex, 200, "{\"choices\": [ {\"message\": ");
                case TRUNCATED -> send(ex, 200, "{\"id\":\"x\",\"choices\":[]}");
                case SLOW -> { // answers only after the client's timeout, at close: the timeout is certain
                    await(release);
                    ok(ex, req, input);
                }
                case BAD_REQUEST -> send(ex, 400, "{\"error\":{\"message\":\"context too long\",\"type\":\"invalid_request_error\"}}");
                case HANG -> {
                    await(release);
                    send(ex, 500, "{}");
                }
            }
        }
    }

    private void ok(HttpExchange ex, JsonNode req, String input) throws IOException {
        var o = Canonical.JSON.createObjectNode().put("id", "chatcmpl-1").put("object", "chat.completion").put("model", req.path("model").asText());
        var choice = o.putArray("choices").addObject().put("index", 0).put("finish_reason", "stop");
        choice.putObject("message").put("role", "assistant").put("content", "label:" + input);
        if (req.path("logprobs").asBoolean(false)) {
            var tok = choice.putObject("logprobs").putArray("content").addObject().put("token", "label").put("logprob", -0.25);
            tok.putArray("top_logprobs").addObject().put("token", "label").put("logprob", -0.25);
        }
        o.putObject("usage").put("prompt_tokens", input.length()).put("completion_tokens", 3).put("total_tokens", input.length() + 3);
        try {
            send(ex, 200, o.toString());
        } catch (IOException clientGone) {
            return; // the client timed out and hung up: it never got this answer
        }
        answered.computeIfAbsent(input, k -> new AtomicInteger()).incrementAndGet();
        okTotal.incrementAndGet();
    }

    /** SSE: "label:" then the input in two deltas, a usage chunk and [DONE]; or only the first delta, then a hang-up or an error event. */
    private void stream(HttpExchange ex, String input, boolean complete, boolean errorEvent) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "text/event-stream");
        ex.sendResponseHeaders(200, 0);
        var out = ex.getResponseBody();
        out.write((": keep-alive\n\ndata: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"label:\"}}]}\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        if (errorEvent) {
            out.write("data: {\"error\":{\"message\":\"overloaded mid-stream\"}}\n\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!complete) {
            return; // hang up without [DONE]
        }
        out.write(("data: {\"choices\":[{\"delta\":{\"content\":\"" + input + "\"},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":" + input.length() + ",\"completion_tokens\":3}}\n\ndata: [DONE]\n\n")
                .getBytes(StandardCharsets.UTF_8));
        answered.computeIfAbsent(input, k -> new AtomicInteger()).incrementAndGet();
        okTotal.incrementAndGet();
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
    }

    private static void await(CountDownLatch l) {
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        release.countDown();
        server.stop(0);
    }
}
