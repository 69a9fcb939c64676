package dev.smelt.model.arch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** The logits goldens: tokens I32[40], logits_llamacpp and logits_float_ref F32[40, vocab]. */
record Golden(int[] tokens, float[] logitsLlamaCpp, float[] logitsFloatRef, int vocab) {

    static Golden read(Path p) throws IOException {
        byte[] all = Files.readAllBytes(p);
        ByteBuffer bb = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
        int hlen = (int) bb.getLong(0);
        JsonNode h = new ObjectMapper().readTree(new String(all, 8, hlen, java.nio.charset.StandardCharsets.UTF_8));
        int base = 8 + hlen;
        JsonNode t = h.get("tokens");
        int[] tokens = new int[t.get("shape").get(0).asInt()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = bb.getInt(base + t.get("data_offsets").get(0).asInt() + 4 * i);
        }
        JsonNode l = h.get("logits_llamacpp");
        int vocab = l.get("shape").get(1).asInt();
        return new Golden(tokens, floats(bb, base, l), floats(bb, base, h.get("logits_float_ref")), vocab);
    }

    private static float[] floats(ByteBuffer bb, int base, JsonNode n) {
        int begin = n.get("data_offsets").get(0).asInt();
        int end = n.get("data_offsets").get(1).asInt();
        float[] f = new float[(end - begin) / 4];
        for (int i = 0; i < f.length; i++) {
            f[i] = bb.getFloat(base + begin + 4 * i);
        }
        return f;
    }
}
