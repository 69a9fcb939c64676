package dev.smelt.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.tag.ForTag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.util.ForLoop;
import com.hubspot.jinjava.util.ObjectIterator;
import java.util.Iterator;
import java.util.List;

/**
 * The work one render may do, in steps: one per template node rendered and one per loop iteration.
 * Jinjava caps output size and {@code range()}, but not iterations, so nested loops that print nothing
 * (or macros that call macros) could run for days; a step count stops them deterministically, unlike a
 * clock. Jinjava renders on the caller's thread, so the running budget is thread-local: thread-safe.
 */
final class RenderBudget {
    private static final ThreadLocal<RenderBudget> CURRENT = new ThreadLocal<>();

    private final String template;
    private final long limit;
    private long used;

    private RenderBudget(String template, long limit) {
        this.template = template;
        this.limit = limit;
    }

    /** Opens a budget for this thread's render; close it with {@link #end()} in a finally block. */
    static void start(String template, long limit) {
        CURRENT.set(new RenderBudget(template, limit));
    }

    static void end() {
        CURRENT.remove();
    }

    /** The name of the template this thread is rendering, for error messages. */
    static String template() {
        RenderBudget b = CURRENT.get();
        return b == null ? "chat template" : b.template;
    }

    /** Counts steps against the running render's budget (none running: nothing to count). */
    static void charge(long steps) {
        RenderBudget b = CURRENT.get();
        if (b == null) {
            return;
        }
        b.used += steps;
        if (b.used > b.limit) {
            throw new ChatTemplateException(b.template + " needs more than " + String.format("%,d", b.limit)
                    + " render steps (template nodes plus loop iterations): refused as runaway, its loops or macros nest too deep");
        }
    }

    /** Jinjava's node pre-processor: one step per node rendered. */
    static void onNode(Node node, JinjavaInterpreter interpreter) {
        charge(1);
    }

    /** The standard {@code for} tag, charging each loop's iterations before it runs them. */
    static final class BoundedForTag extends ForTag {
        @Override
        public String renderForCollection(TagNode tagNode, JinjavaInterpreter interpreter, List<String> loopVars, Object collection) {
            // ObjectIterator knows the length of collections, maps and arrays without consuming them
            ForLoop probe = ObjectIterator.getLoop(collection);
            int length = probe.getLength();
            if (length >= 0) {
                charge(length);
                return super.renderForCollection(tagNode, interpreter, loopVars, collection);
            }
            // a bare iterator or iterable of unknown length: count as it goes
            Iterator<?> it = probe;
            return super.renderForCollection(tagNode, interpreter, loopVars, new Iterator<Object>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Object next() {
                    charge(1);
                    return it.next();
                }
            });
        }
    }
}
