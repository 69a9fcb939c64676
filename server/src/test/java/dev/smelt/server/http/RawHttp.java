package dev.smelt.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Sends one HTTP/1.1 request as raw bytes (any Host header, any body bytes, which java.net.http refuses to
 * send) and reads the answer until the server closes the connection. Test helper; stateless.
 */
public final class RawHttp {
    /** Status code and body of an answer. */
    public record Response(int status, String body) {
    }

    private RawHttp() {
    }

    public static Response send(int port, String method, String path, Map<String, String> headers, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(60_000);
            StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
            if (!headers.containsKey("Host")) {
                head.append("Host: 127.0.0.1:").append(port).append("\r\n");
            }
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            head.append("Content-Length: ").append(body.length).append("\r\nConnection: close\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            InputStream in = s.getInputStream();
            byte[] all = in.readAllBytes();
            String text = new String(all, StandardCharsets.ISO_8859_1); // byte i = char i
            int status = Integer.parseInt(text.substring(9, 12));
            int split = text.indexOf("\r\n\r\n");
            byte[] rest = split < 0 ? new byte[0] : java.util.Arrays.copyOfRange(all, split + 4, all.length);
            if (split >= 0 && text.substring(0, split).toLowerCase().contains("transfer-encoding: chunked")) {
                rest = unchunk(rest);
            }
            return new Response(status, new String(rest, StandardCharsets.UTF_8));
        }
    }

    public static Response post(int port, String path, Map<String, String> headers, String body) throws IOException {
        return send(port, "POST", path, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] unchunk(byte[] b) {
        String s = new String(b, StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < s.length()) {
            int eol = s.indexOf("\r\n", i);
            if (eol < 0) {
                break;
            }
            int n = Integer.parseInt(s.substring(i, eol).split(";")[0].trim(), 16);
            if (n == 0) {
                break;
            }
            out.write(b, eol + 2, n);
            i = eol + 2 + n + 2;
        }
        return out.toByteArray();
    }
}
