package dev.smelt.server;

import dev.smelt.server.tools.ParsedOutput;
import dev.smelt.server.tools.ToolFormat;
import dev.smelt.server.tools.ToolRequest;
import dev.smelt.server.tools.ToolStreamFilter;

/**
 * Tool calling for one request: what was asked, the model's call format, the prompt prefill of a forced
 * call, and the id prefix of the calls. Immutable.
 */
record Tooling(ToolRequest request, ToolFormat format, String forcedPrefix, String idPrefix) {
    ToolStreamFilter filter() {
        return new ToolStreamFilter(format, forcedPrefix);
    }

    /** Applies parallel_tool_calls=false: only the first call is kept. */
    ParsedOutput limit(ParsedOutput p) {
        if (request.parallel() || p.calls().size() <= 1) {
            return p;
        }
        return new ParsedOutput(p.content(), p.calls().subList(0, 1));
    }
}
