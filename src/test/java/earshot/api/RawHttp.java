package earshot.api;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A raw HTTP/1.1 client on a {@link Socket}, for bodies no well-behaved client sends: thousands of parts, a body cut
 * off mid-part. The body is written on a thread of its own while the caller reads the answer, as a client that sends
 * its whole body regardless does; the server may answer early and close, so the writer's failures are expected.
 */
final class RawHttp {
  static final String BOUNDARY = "earshot-raw-boundary";

  private RawHttp() {}

  /** A status, its headers (lower-case names) and body. */
  record Response(int status, Map<String, String> headers, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  /** A multipart/form-data body, built part by part. */
  static final class Multipart {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Multipart field(String name, String value) {
      return part("Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n",
          value.getBytes(StandardCharsets.UTF_8));
    }

    Multipart file(String name, String fileName, byte[] content) {
      return part("Content-Disposition: form-data; name=\"" + name + "\"; filename=\"" + fileName + "\"\r\n"
          + "Content-Type: application/octet-stream\r\n\r\n", content);
    }

    private Multipart part(String headers, byte[] content) {
      out.writeBytes(("--" + BOUNDARY + "\r\n" + headers).getBytes(StandardCharsets.UTF_8));
      out.writeBytes(content);
      out.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
      return this;
    }

    /** The body with its closing delimiter. */
    byte[] bytes() {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      all.writeBytes(out.toByteArray());
      all.writeBytes(("--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8));
      return all.toByteArray();
    }

    /** The parts so far, without the closing delimiter: a body cut off. */
    byte[] unfinished() {
      return out.toByteArray();
    }
  }

  /** The request head of a multipart POST of {@code length} bytes, authenticated with the test key. */
  static byte[] head(String path, long length) {
    return ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-API-KEY: " + JobsApiTest.KEY + "\r\n"
        + "Authorization: Bearer " + JobsApiTest.KEY + "\r\n"
        + "Content-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nContent-Length: " + length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** Posts {@code body} as multipart/form-data and reads the answer. */
  static Response post(int port, String path, byte[] body) {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      Thread writer = Thread.ofVirtual().start(() -> {
        try {
          out.write(head(path, body.length));
          out.write(body);
          out.flush();
        } catch (IOException expected) {
          // the server answered early and closed: the answer is what the test reads
        }
      });
      Response response = read(socket.getInputStream());
      writer.join(60_000);
      return response;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static Response read(InputStream in) throws IOException {
    String status = line(in);
    if (status == null) {
      throw new IOException("the connection closed before an answer");
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
      int colon = h.indexOf(':');
      headers.put(h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
    }
    byte[] body = headers.containsKey("content-length")
        ? in.readNBytes(Integer.parseInt(headers.get("content-length"))) : in.readAllBytes();
    return new Response(Integer.parseInt(status.split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder();
    for (int c = in.read(); c != -1; c = in.read()) {
      if (c == '\n') {
        return b.toString().stripTrailing();
      }
      b.append((char) c);
    }
    return b.isEmpty() ? null : b.toString();
  }
}
