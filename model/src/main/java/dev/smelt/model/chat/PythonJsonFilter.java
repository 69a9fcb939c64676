package dev.smelt.model.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.Map;

/** {@code tojson} / {@code tojson(indent=N)} with HF semantics (see {@link ChatTemplate#pythonJson}). */
final class PythonJsonFilter implements Filter {
    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return ChatTemplate.pythonJson(var, null);
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.get("indent");
        if (indent == null && args.length > 0) {
            indent = args[0];
        }
        return ChatTemplate.pythonJson(var, indent == null ? null : ((Number) indent).intValue());
    }
}
