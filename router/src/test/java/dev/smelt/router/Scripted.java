package dev.smelt.router;

import dev.smelt.eval.Answer;
import dev.smelt.eval.Query;
import dev.smelt.eval.Target;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** A test target answering from a map (input → text, confidence); may fail, hang or stream then fail. */
final class Scripted implements Target {
    final String name;
    final Map<String, String> answers;
    final Map<String, Double> confidence;
    final BigDecimal price;
    final AtomicInteger calls = new AtomicInteger();
    volatile boolean fail;
    volatile long hangMillis;
    volatile String streamThenFail;

    Scripted(String name, Map<String, String> answers, Map<String, Double> confidence, BigDecimal price) {
        this.name = name;
        this.answers = answers;
        this.confidence = confidence;
        this.price = price;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Answer answer(Query q) throws Exception {
        calls.incrementAndGet();
        if (hangMillis > 0) {
            Thread.sleep(hangMillis);
        }
        if (fail) {
            throw new IllegalStateException(name + " is down");
        }
        String a = answers.getOrDefault(q.input(), "?");
        return new Answer(a, name, confidence.getOrDefault(q.input(), Double.NaN), 10, 1, price, 0, false, List.of());
    }

    @Override
    public Answer answer(Query q, Consumer<String> onDelta) throws Exception {
        if (streamThenFail != null) {
            calls.incrementAndGet();
            onDelta.accept(streamThenFail);
            throw new MidStreamException(streamThenFail, new java.io.IOException("connection reset"));
        }
        Answer a = answer(q);
        String t = a.text();
        for (int i = 0; i < t.length(); i += 2) {
            onDelta.accept(t.substring(i, Math.min(t.length(), i + 2)));
        }
        return a;
    }

    @Override
    public boolean isFree() {
        return price.signum() == 0;
    }

    @Override
    public boolean isThreadSafe() {
        return true;
    }
}
