package dev.smelt.runtime.constrain;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Byte-level recognizer of the JSON documents a compiled {@link Node} accepts, as a set of pushdown
 * states (persistent linked stacks, so branching for unions and copying per candidate token are cheap).
 * {@link #feed} advances by bytes; an empty state set means the prefix can no longer be completed.
 * Whitespace between tokens is bounded as in llama.cpp's json-schema grammar: one space, or one newline
 * and then an indent of at most {@link #MAX_WS} − 1 spaces or tabs, so decoding cannot loop on blanks and a
 * document with a fixed number of tokens ends within a fixed number of bytes (before: any 8 blanks per gap,
 * runs of newlines and tabs included). Immutable: every operation returns a new matcher; thread-safe.
 */
public final class JsonMatcher {
    /** Blank bytes allowed in one gap between JSON tokens: a newline and an indent of up to 8 (2 spaces × 4 levels). */
    static final int MAX_WS = 9;
    /** Gap state after a single space: nothing more may follow. Other states: 0 = no blank yet; k ≥ 1 = a newline and k − 1 indent bytes. */
    private static final int WS_SPACE = Integer.MAX_VALUE;

    /** Stack frame kinds. */
    private sealed interface Frame permits Value, Lit, Str, Num, Obj, Arr {
    }

    /** Expecting the start of a value of {@code node}. */
    private record Value(Node node) implements Frame {
    }

    /** Matching one of {@code options} (serialized JSON) from position {@code pos}. */
    private record Lit(List<String> options, int pos) implements Frame {
    }

    /**
     * Inside a string (after the opening quote). {@code keys}: for object keys, the allowed property
     * indexes (null = free); {@code typed}: raw characters so far when keys must match; {@code esc}:
     * 0 none, 1 after backslash, 2..5 hex digits left; {@code len}: characters so far; {@code utf8}: the
     * multi-byte character in progress ({@link #utf8Start}), 0 between characters. Keys and literals are
     * compared as UTF-8 bytes, one char per byte ({@link #utf8(String)}).
     */
    private record Str(Node node, List<Integer> keys, String typed, int esc, int len, int utf8) implements Frame {
    }

    /** Inside a number; state per RFC 8259's grammar. */
    private record Num(int state, boolean integer) implements Frame {
    }

    /** Inside an object: {@code next} = index of the first property still allowed; {@code pending} = value to parse after ':'. */
    private record Obj(Node node, int next, int phase, Node pending) implements Frame {
    }

    /** Inside an array with {@code count} items so far. */
    private record Arr(Node node, int count, int phase) implements Frame {
    }

    private record Stack(Frame top, Stack below, int ws) {
        Stack push(Frame f) {
            return new Stack(f, this, 0);
        }

        Stack replace(Frame f) {
            return new Stack(f, below, 0);
        }
    }

    // phases
    private static final int OPEN = 0;       // after '{' or '['
    private static final int AFTER_KEY = 1;  // after a key, expecting ':'
    private static final int AFTER_VALUE = 2;
    private static final int AFTER_COMMA = 3;
    // number states
    private static final int N_SIGN = 0, N_ZERO = 1, N_INT = 2, N_DOT = 3, N_FRAC = 4, N_E = 5, N_ESIGN = 6, N_EXP = 7;

    private static final Node ANY_ARRAY = new Node(Node.Kind.ARRAY, List.of(), false, Node.ANY, 0, Integer.MAX_VALUE, List.of(), List.of(), Integer.MAX_VALUE);
    private final List<Stack> states;
    private final boolean done;
    private final int maxWs; // whitespace bytes allowed in a row between tokens

    private JsonMatcher(List<Stack> states, boolean done, int maxWs) {
        this.states = states;
        this.done = done;
        this.maxWs = maxWs;
    }

    /** A matcher at the start of a document of {@code root}. */
    public static JsonMatcher start(Node root) {
        return start(root, MAX_WS);
    }

    /**
     * A matcher allowing at most {@code maxWhitespace} blank bytes between tokens: one space, or a newline and up
     * to {@code maxWhitespace − 1} spaces or tabs (0 = compact JSON only; 1 = one space or one newline, used for
     * tool calls, whose whitespace carries nothing and costs tokens).
     */
    public static JsonMatcher start(Node root, int maxWhitespace) {
        if (maxWhitespace < 0) {
            throw new IllegalArgumentException("maxWhitespace must be >= 0, got " + maxWhitespace);
        }
        List<Stack> s = new ArrayList<>();
        s.add(new Stack(new Value(root), null, 0));
        return new JsonMatcher(s, false, maxWhitespace);
    }

    /** True when no continuation is possible (the bytes fed so far are not a valid prefix). */
    public boolean dead() {
        return states.isEmpty() && !done;
    }

    /** True when a complete document has been read (nothing may follow; callers end generation). */
    public boolean complete() {
        if (done) {
            return true;
        }
        for (Stack s : states) {
            if (s.below == null && s.top instanceof Num n && numberComplete(n.state)) {
                return true;
            }
        }
        return false;
    }

    /**
     * What is left of the enum/const literals being matched, as UTF-8 bytes one char each (see {@link #utf8(String)}),
     * or null when some state is not inside a literal (anything else can be spelled by any vocabulary's ASCII).
     */
    List<String> literalRemainders() {
        if (states.isEmpty()) {
            return null; // the document is complete (or dead): no literal in progress
        }
        List<String> out = new ArrayList<>();
        for (Stack s : states) {
            if (!(s.top instanceof Lit l)) {
                return null;
            }
            for (String o : l.options()) {
                out.add(o.substring(l.pos()));
            }
        }
        return out;
    }

    /**
     * The bytes every valid continuation starts with, up to {@code max}: where the schema leaves exactly one next byte
     * (the rest of an object key once only one fits, a ':' or ',' with no blank allowed, the rest of an enum value once
     * unique) it is forced. Stops at the first byte with a choice (a blank counts as a choice) or at a complete
     * document. Found by trying every byte at each position: cheap, since a choice usually shows within a few bytes
     * (the cost is {@code 256 × forced length} feeds at most).
     */
    public byte[] forcedBytes(int max) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        JsonMatcher m = this;
        while (out.size() < max && !m.dead() && !m.complete()) {
            int only = -1;
            JsonMatcher next = null;
            for (int c = 0; c < 256; c++) {
                JsonMatcher t = m.feed(c);
                if (!t.dead()) {
                    if (only >= 0) {
                        only = -2;
                        break;
                    }
                    only = c;
                    next = t;
                }
            }
            if (only < 0) {
                break;
            }
            out.write(only);
            m = next;
        }
        return out.toByteArray();
    }

    /** {@code bytes} without a trailing incomplete UTF-8 character (forced text is tokenized as text). */
    static byte[] utf8Whole(byte[] bytes) {
        int end = bytes.length;
        int i = end - 1;
        while (i >= 0 && (bytes[i] & 0xC0) == 0x80 && end - i < 4) {
            i--;
        }
        if (i >= 0 && (bytes[i] & 0x80) != 0) { // a lead byte: is its character complete?
            int lead = bytes[i] & 0xFF;
            int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (end - i < need) {
                end = i;
            }
        }
        return end == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, end);
    }

    /** The matcher after {@code bytes}; {@link #dead()} if they cannot extend a valid document. */
    public JsonMatcher feed(byte[] bytes) {
        JsonMatcher m = this;
        for (byte b : bytes) {
            m = m.feed(b & 0xFF);
            if (m.dead()) {
                return m;
            }
        }
        return m;
    }

    JsonMatcher feed(int c) {
        if (done) { // nothing after the document: trailing blanks in its last token would end up in the content
            return new JsonMatcher(List.of(), false, maxWs);
        }
        List<Stack> out = new ArrayList<>(states.size());
        boolean reachedEnd = done;
        for (Stack s : states) {
            reachedEnd |= step(s, c, out);
        }
        if (out.size() > 1) {
            out = dedupe(out);
        }
        return new JsonMatcher(out, reachedEnd, maxWs);
    }

    private static List<Stack> dedupe(List<Stack> in) {
        List<Stack> out = new ArrayList<>(in.size());
        for (Stack s : in) {
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    /** Advances one state by byte c into {@code out}; returns true when the document ended exactly here. */
    private boolean step(Stack s, int c, List<Stack> out) {
        Frame f = s.top;
        switch (f) {
            case Value v -> {
                if (isWs(c)) {
                    int w = s.below != null ? gap(s.ws, c) : -1; // no blanks before the document
                    if (w >= 0) {
                        out.add(new Stack(f, s.below, w));
                    }
                    return false;
                }
                return startValue(s, v.node(), c, out);
            }
            case Lit l -> {
                List<String> keep = new ArrayList<>();
                boolean finished = false;
                for (String o : l.options()) {
                    if (l.pos() < o.length() && o.charAt(l.pos()) == c) {
                        if (l.pos() + 1 == o.length()) {
                            finished = true;
                        } else {
                            keep.add(o);
                        }
                    }
                }
                boolean end = false;
                if (finished) {
                    end = pop(s, out);
                }
                if (!keep.isEmpty()) {
                    out.add(s.replace(new Lit(keep, l.pos() + 1)));
                }
                return end;
            }
            case Str str -> {
                return string(s, str, c, out);
            }
            case Num n -> {
                int next = numberNext(n.state, c, n.integer);
                if (next >= 0) {
                    out.add(s.replace(new Num(next, n.integer)));
                    return false;
                }
                if (!numberComplete(n.state)) {
                    return false;
                }
                // the number ended: the byte belongs to the enclosing frame
                if (s.below == null) {
                    return false; // nothing may follow a top-level number but whitespace (handled by complete())
                }
                List<Stack> popped = new ArrayList<>();
                afterValue(s.below, popped);
                boolean end = false;
                for (Stack p : popped) {
                    end |= step(p, c, out);
                }
                return end;
            }
            case Obj o -> {
                return object(s, o, c, out);
            }
            case Arr a -> {
                return array(s, a, c, out);
            }
        }
    }

    private boolean startValue(Stack s, Node n, int c, List<Stack> out) {
        switch (n.kind()) {
            case UNION -> {
                boolean end = false;
                for (Node o : n.options()) {
                    end |= startValue(s, o, c, out);
                }
                return end;
            }
            case ANY -> {
                boolean end = false;
                for (Node.Kind k : new Node.Kind[] {Node.Kind.OBJECT, Node.Kind.ARRAY, Node.Kind.STRING, Node.Kind.NUMBER,
                        Node.Kind.BOOLEAN, Node.Kind.NULL}) {
                    Node o = k == Node.Kind.OBJECT ? SchemaCompiler.anyObject() : k == Node.Kind.ARRAY ? ANY_ARRAY : Node.of(k);
                    end |= startValue(s, o, c, out);
                }
                return end;
            }
            case OBJECT -> {
                if (c == '{') {
                    out.add(s.replace(new Obj(n, 0, OPEN, null)));
                }
                return false;
            }
            case ARRAY -> {
                if (c == '[') {
                    out.add(s.replace(new Arr(n, 0, OPEN)));
                }
                return false;
            }
            case STRING -> {
                if (c == '"') {
                    out.add(s.replace(new Str(n, null, null, 0, 0, 0)));
                }
                return false;
            }
            case NUMBER, INTEGER -> {
                int st = numberNext(-1, c, n.kind() == Node.Kind.INTEGER);
                if (st >= 0) {
                    out.add(s.replace(new Num(st, n.kind() == Node.Kind.INTEGER)));
                }
                return false;
            }
            case BOOLEAN -> {
                return step(s.replace(new Lit(List.of("true", "false"), 0)), c, out);
            }
            case NULL -> {
                return step(s.replace(new Lit(List.of("null"), 0)), c, out);
            }
            case CONST -> {
                return step(s.replace(new Lit(utf8(n.literals()), 0)), c, out);
            }
        }
        return false;
    }

    /** Pops a finished value and advances the parent; returns true if the document is complete. */
    private static boolean pop(Stack s, List<Stack> out) {
        if (s.below == null) {
            return true;
        }
        afterValue(s.below, out);
        return false;
    }

    private static void afterValue(Stack parent, List<Stack> out) {
        switch (parent.top) {
            case Obj o -> out.add(parent.replace(new Obj(o.node(), o.next(), AFTER_VALUE, null)));
            case Arr a -> out.add(parent.replace(new Arr(a.node(), a.count() + 1, AFTER_VALUE)));
            default -> throw new IllegalStateException("value inside " + parent.top);
        }
    }

    private boolean string(Stack s, Str str, int c, List<Stack> out) {
        if (str.utf8() != 0) {
            int next = utf8Next(str.utf8(), c);
            if (next >= 0) {
                addStr(s, new Str(str.node(), str.keys(), append(str, c), 0, str.len(), next), out);
            }
            return false;
        }
        if (str.esc() == 1) {
            if ("\"\\/bfnrt".indexOf(c) >= 0) {
                addStr(s, new Str(str.node(), str.keys(), append(str, c), 0, str.len() + 1, 0), out);
            } else if (c == 'u') {
                addStr(s, new Str(str.node(), str.keys(), append(str, c), 5, str.len(), 0), out);
            }
            return false;
        }
        if (str.esc() >= 2) {
            if (Character.digit(c, 16) >= 0) {
                int left = str.esc() - 1;
                addStr(s, new Str(str.node(), str.keys(), append(str, c), left == 1 ? 0 : left, left == 1 ? str.len() + 1 : str.len(), 0), out);
            }
            return false;
        }
        if (c == '"') {
            if (str.keys() != null) {
                Obj o = (Obj) s.below.top;
                for (int idx : str.keys()) {
                    Node.Property p = o.node().properties().get(idx);
                    if (utf8(p.encodedKey()).equals("\"" + str.typed() + "\"")) {
                        out.add(new Stack(new Obj(o.node(), idx + 1, AFTER_KEY, p.value()), s.below.below, 0));
                    }
                }
                return false;
            }
            if (s.below != null && s.below.top instanceof Obj o && o.phase() != AFTER_KEY && str.node() == null) {
                // free-form object key done
                out.add(new Stack(new Obj(o.node(), o.next(), AFTER_KEY, Node.ANY), s.below.below, 0));
                return false;
            }
            return pop(s, out);
        }
        if (c < 0x20) {
            return false;
        }
        int maxLen = str.node() != null ? str.node().maxLength() : Integer.MAX_VALUE;
        if (str.len() >= maxLen) {
            return false;
        }
        if (c == '\\') {
            addStr(s, new Str(str.node(), str.keys(), append(str, c), 1, str.len(), 0), out);
            return false;
        }
        int utf8 = utf8Start(c);
        if (utf8 < 0) {
            return false;
        }
        addStr(s, new Str(str.node(), str.keys(), append(str, c), 0, str.len() + 1, utf8), out);
        return false;
    }

    /*
     * UTF-8 inside strings, checked as RFC 3629 does (no overlong forms, no surrogates, nothing past U+10FFFF), so
     * the output always decodes. State of a character in progress: continuation bytes left, and the range the next
     * one must fall in (only the first continuation byte has a narrower range): left | lo << 8 | hi << 16; 0 = none.
     */

    /** The state after lead byte {@code c}: 0 for ASCII, −1 when c cannot start a character. */
    static int utf8Start(int c) {
        if (c < 0x80) {
            return 0;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            return utf8State(1, 0x80, 0xBF);
        }
        if (c >= 0xE0 && c <= 0xEF) {
            return utf8State(2, c == 0xE0 ? 0xA0 : 0x80, c == 0xED ? 0x9F : 0xBF);
        }
        if (c >= 0xF0 && c <= 0xF4) {
            return utf8State(3, c == 0xF0 ? 0x90 : 0x80, c == 0xF4 ? 0x8F : 0xBF);
        }
        return -1;
    }

    /** The state after continuation byte {@code c} (0 when the character is complete), or −1 when c is not allowed. */
    static int utf8Next(int state, int c) {
        int left = state & 0xFF;
        if (c < ((state >> 8) & 0xFF) || c > (state >> 16)) {
            return -1;
        }
        return left == 1 ? 0 : utf8State(left - 1, 0x80, 0xBF);
    }

    private static int utf8State(int left, int lo, int hi) {
        return left | lo << 8 | hi << 16;
    }

    /** {@code s} as its UTF-8 bytes, one char per byte (ISO-8859-1), to compare with bytes as they are fed. */
    static String utf8(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
    }

    private static List<String> utf8(List<String> literals) {
        List<String> out = new ArrayList<>(literals.size());
        for (String l : literals) {
            out.add(utf8(l));
        }
        return out;
    }

    /** Keeps a string state; for object keys only while the typed text can still become an allowed key. */
    private static void addStr(Stack s, Str next, List<Stack> out) {
        if (next.keys() == null || keyPrefixPossible(s, next)) {
            out.add(s.replace(next));
        }
    }

    private static String append(Str s, int c) {
        return s.keys() == null ? null : s.typed() + (char) c;
    }

    private static boolean keyPrefixPossible(Stack s, Str str) {
        Obj o = (Obj) s.below.top;
        for (int idx : str.keys()) {
            if (utf8(o.node().properties().get(idx).encodedKey()).startsWith("\"" + str.typed())) {
                return true;
            }
        }
        return false;
    }

    private boolean object(Stack s, Obj o, int c, List<Stack> out) {
        if (isWs(c)) {
            int w = gap(s.ws, c);
            if (w >= 0) {
                out.add(new Stack(o, s.below, w));
            }
            return false;
        }
        Node n = o.node();
        boolean free = n.freeForm();
        switch (o.phase()) {
            case OPEN, AFTER_COMMA -> {
                if (c == '"') {
                    if (free) {
                        out.add(s.push(new Str(null, null, null, 0, 0, 0)));
                    } else {
                        List<Integer> keys = allowedKeys(n, o.next());
                        if (!keys.isEmpty()) {
                            out.add(s.push(new Str(null, keys, "", 0, 0, 0)));
                        }
                    }
                    return false;
                }
                if (c == '}' && o.phase() == OPEN && (free || !requiredRemains(n, o.next()))) {
                    return pop(s, out);
                }
                return false;
            }
            case AFTER_KEY -> {
                if (c == ':') {
                    // replace phase so that after the value we come back with AFTER_VALUE
                    Stack parent = s.replace(new Obj(n, o.next(), AFTER_VALUE, null));
                    out.add(parent.push(new Value(o.pending())));
                }
                return false;
            }
            case AFTER_VALUE -> {
                if (c == ',' && (free || !allowedKeys(n, o.next()).isEmpty())) {
                    out.add(s.replace(new Obj(n, o.next(), AFTER_COMMA, null)));
                    return false;
                }
                if (c == '}' && (free || !requiredRemains(n, o.next()))) {
                    return pop(s, out);
                }
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    /** Property indexes allowed next: from {@code next} up to and including the first required one. */
    private static List<Integer> allowedKeys(Node n, int next) {
        List<Integer> keys = new ArrayList<>();
        for (int i = next; i < n.properties().size(); i++) {
            keys.add(i);
            if (n.properties().get(i).required()) {
                break;
            }
        }
        return keys;
    }

    private static boolean requiredRemains(Node n, int next) {
        for (int i = next; i < n.properties().size(); i++) {
            if (n.properties().get(i).required()) {
                return true;
            }
        }
        return false;
    }

    private boolean array(Stack s, Arr a, int c, List<Stack> out) {
        if (isWs(c)) {
            int w = gap(s.ws, c);
            if (w >= 0) {
                out.add(new Stack(a, s.below, w));
            }
            return false;
        }
        Node n = a.node();
        switch (a.phase()) {
            case OPEN -> {
                if (c == ']' && n.minItems() == 0) {
                    return pop(s, out);
                }
                if (n.maxItems() > 0) {
                    Stack parent = s.replace(new Arr(n, a.count(), AFTER_VALUE));
                    return startValue(parent.push(new Value(n.items())), n.items(), c, out);
                }
                return false;
            }
            case AFTER_VALUE -> {
                if (c == ',' && a.count() < n.maxItems()) {
                    out.add(s.replace(new Arr(n, a.count(), AFTER_COMMA)));
                    return false;
                }
                if (c == ']' && a.count() >= n.minItems()) {
                    return pop(s, out);
                }
                return false;
            }
            case AFTER_COMMA -> {
                Stack parent = s.replace(new Arr(n, a.count(), AFTER_VALUE));
                return startValue(parent.push(new Value(n.items())), n.items(), c, out);
            }
            default -> {
                return false;
            }
        }
    }

    /** Next number state after byte c, or −1 when c cannot continue the number (state −1 = before it). */
    private static int numberNext(int st, int c, boolean integer) {
        boolean digit = c >= '0' && c <= '9';
        return switch (st) {
            case -1 -> c == '-' ? N_SIGN : c == '0' ? N_ZERO : digit ? N_INT : -1;
            case N_SIGN -> c == '0' ? N_ZERO : digit ? N_INT : -1;
            case N_ZERO -> !integer && c == '.' ? N_DOT : !integer && (c == 'e' || c == 'E') ? N_E : -1;
            case N_INT -> digit ? N_INT : !integer && c == '.' ? N_DOT : !integer && (c == 'e' || c == 'E') ? N_E : -1;
            case N_DOT -> digit ? N_FRAC : -1;
            case N_FRAC -> digit ? N_FRAC : (c == 'e' || c == 'E') ? N_E : -1;
            case N_E -> (c == '+' || c == '-') ? N_ESIGN : digit ? N_EXP : -1;
            case N_ESIGN, N_EXP -> digit ? N_EXP : -1;
            default -> -1;
        };
    }

    private static boolean numberComplete(int st) {
        return st == N_ZERO || st == N_INT || st == N_FRAC || st == N_EXP;
    }

    /** The gap's whitespace state after blank {@code c}, or −1 when c is not allowed there (see {@link #WS_SPACE}). */
    private int gap(int state, int c) {
        if (maxWs == 0 || state == WS_SPACE) {
            return -1;
        }
        if (state == 0) {
            return c == ' ' ? WS_SPACE : c == '\n' ? 1 : -1;
        }
        return (c == ' ' || c == '\t') && state < maxWs ? state + 1 : -1;
    }

    private static boolean isWs(int c) {
        return c == ' ' || c == '\n' || c == '\t' || c == '\r';
    }
}
