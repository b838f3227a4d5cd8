package earshot.api;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real HTTP/1.1 client reading a {@code text/event-stream} the way EventSource does: events are separated by a blank
 * line, {@code id:} and {@code data:} fields are kept, comments (keep-alives) are counted. It speaks HTTP over a
 * {@link NetSocket} whose handler is set before the request is written, so no byte of a short answer can arrive
 * before anyone listens (with Vert.x's HttpClient, a response that ends in the packet of its head can be over before a
 * caller outside the connection's event loop sets its handler). For tests and the fan-out benchmark.
 */
public final class SseReader {
  /** One event: its {@code id:} (null when absent) and its {@code data:}, parsed as JSON when asked. */
  public record Event(String id, String raw) {
    public JsonObject data() {
      return new JsonObject(raw);
    }
  }

  public final List<Event> events = new CopyOnWriteArrayList<>();
  /** When each event arrived ({@link System#nanoTime}), in the order of {@link #events}. */
  public final List<Long> arrivals = new CopyOnWriteArrayList<>();
  private final Promise<Void> head = Promise.promise();
  private final Promise<Void> ended = Promise.promise();
  private final StringBuilder pending = new StringBuilder();
  private final Map<String, String> headers = new HashMap<>();
  private Buffer in = Buffer.buffer();
  private NetSocket socket;
  private int status;
  private boolean inHead = true;
  private boolean chunked;
  private long remaining = -1; // bytes left of the current chunk (chunked) or of the body (Content-Length)
  private volatile int comments;

  private SseReader() {}

  /**
   * Sends {@code GET uri} on a new connection of {@code net} and yields once the response head has arrived (any
   * status: see {@link #status}); events then collect in {@link #events}.
   */
  public static Future<SseReader> open(NetClient net, int port, String uri, Map<String, String> headers) {
    SseReader reader = new SseReader();
    return net.connect(port, "127.0.0.1").compose(socket -> {
      reader.socket = socket;
      socket.handler(reader::received);
      socket.closeHandler(v -> {
        reader.head.tryFail("the connection closed before the response head");
        reader.ended.tryFail("the connection closed before the response ended");
      });
      StringBuilder request = new StringBuilder("GET " + uri + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Accept: text/event-stream\r\n");
      headers.forEach((k, v) -> request.append(k).append(": ").append(v).append("\r\n"));
      return socket.write(request.append("\r\n").toString()).compose(v -> reader.head.future()).map(v -> reader);
    });
  }

  public int status() {
    return status;
  }

  /** A response header, by its name in any case. */
  public String header(String name) {
    return headers.get(name.toLowerCase(Locale.ROOT));
  }

  /** Completes when the server ends the response; fails when the connection breaks first. */
  public Future<Void> ended() {
    return ended.future();
  }

  public int comments() {
    return comments;
  }

  /** Drops the connection under the stream, as a client that goes away does. */
  public void drop() {
    socket.close();
  }

  /** The data of the events, in order. */
  public List<JsonObject> data() {
    return events.stream().map(Event::data).toList();
  }

  private synchronized void received(Buffer bytes) {
    in = in.length() == 0 ? bytes.copy() : in.appendBuffer(bytes);
    if (inHead && !readHead()) {
      return;
    }
    readBody();
  }

  private boolean readHead() {
    String text = in.toString(StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      return false;
    }
    String[] lines = text.substring(0, end).split("\r\n");
    status = Integer.parseInt(lines[0].split(" ")[1]);
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
    }
    in = in.getBuffer(end + 4, in.length());
    inHead = false;
    chunked = "chunked".equalsIgnoreCase(header("Transfer-Encoding"));
    if (!chunked) {
      String length = header("Content-Length");
      remaining = length == null ? 0 : Long.parseLong(length);
    }
    head.tryComplete();
    if (!chunked && remaining == 0) {
      finish();
    }
    return true;
  }

  private void readBody() {
    if (!chunked) {
      long take = Math.min(remaining, in.length());
      consume(in.getBuffer(0, (int) take));
      in = in.getBuffer((int) take, in.length());
      remaining -= take;
      if (remaining == 0) {
        finish();
      }
      return;
    }
    while (true) {
      if (remaining < 0) {
        String text = in.toString(StandardCharsets.ISO_8859_1);
        int eol = text.indexOf("\r\n");
        if (eol < 0) {
          return;
        }
        remaining = Long.parseLong(text.substring(0, eol).split(";")[0].trim(), 16);
        in = in.getBuffer(eol + 2, in.length());
        if (remaining == 0) {
          finish();
          return;
        }
      }
      if (in.length() < remaining + 2) {
        return; // the chunk and its CRLF are not all here yet
      }
      consume(in.getBuffer(0, (int) remaining));
      in = in.getBuffer((int) remaining + 2, in.length());
      remaining = -1;
    }
  }

  private void finish() {
    ended.tryComplete();
    socket.close();
  }

  private void consume(Buffer body) {
    pending.append(body.toString(StandardCharsets.UTF_8));
    int end;
    while ((end = pending.indexOf("\n\n")) >= 0) {
      String block = pending.substring(0, end);
      pending.delete(0, end + 2);
      String id = null;
      StringBuilder data = new StringBuilder();
      for (String line : block.split("\n")) {
        if (line.startsWith(":")) {
          comments++;
        } else if (line.startsWith("id:")) {
          id = line.substring(3).trim();
        } else if (line.startsWith("data:")) {
          data.append(line.substring(5).trim());
        }
      }
      if (!data.isEmpty()) {
        events.add(new Event(id, data.toString()));
        arrivals.add(System.nanoTime());
      }
    }
  }
}
