package earshot.api;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A real HTTP client reading a {@code text/event-stream} the way EventSource does: events are separated by a blank
 * line, {@code id:} and {@code data:} fields are kept, comments (keep-alives) are counted. For tests and the fan-out
 * benchmark.
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
  private final Promise<Void> ended = Promise.promise();
  private final StringBuilder pending = new StringBuilder();
  private volatile int comments;
  private HttpClientResponse response;

  private SseReader() {}

  /**
   * Opens a stream on {@code client} and yields once the response head has arrived (any status: see
   * {@link #status}); events then collect in {@link #events}.
   */
  public static Future<SseReader> open(HttpClient client, int port, String uri, Map<String, String> headers) {
    SseReader reader = new SseReader();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1").setPort(port)
        .setURI(uri).putHeader("Accept", "text/event-stream");
    headers.forEach(options::putHeader);
    return client.request(options).compose(HttpClientRequest::send).map(r -> {
      reader.response = r;
      r.handler(buf -> reader.read(buf.toString()));
      r.endHandler(v -> reader.ended.tryComplete());
      r.exceptionHandler(err -> reader.ended.tryFail(err));
      return reader;
    });
  }

  public int status() {
    return response.statusCode();
  }

  public String header(String name) {
    return response.getHeader(name);
  }

  /** Completes when the server ends the stream; fails when the connection breaks first. */
  public Future<Void> ended() {
    return ended.future();
  }

  public int comments() {
    return comments;
  }

  /** Drops the connection under the stream, as a client that goes away does. */
  public void drop() {
    response.request().connection().close();
  }

  /** The data of the events, in order. */
  public List<JsonObject> data() {
    return events.stream().map(Event::data).toList();
  }

  private synchronized void read(String chunk) {
    pending.append(chunk);
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
