package earshot.testsupport;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

/** The native jobs API of one node, called the way curl would (java.net.http, blocking), with the cluster's key. */
public final class ClusterApi {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final int port;

  public ClusterApi(NodeProcess node) {
    this.port = node.httpPort();
  }

  public record Answer(int status, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  public Answer get(String path) throws IOException, InterruptedException {
    return send(request(path).GET());
  }

  public Answer post(String path, JsonObject body) throws IOException, InterruptedException {
    return send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  public Answer put(String path, JsonObject body) throws IOException, InterruptedException {
    return send(request(path).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body.encode())));
  }

  /** A multipart upload of {@code file} as the {@code file} part, with {@code fields} as form fields. */
  public Answer upload(Path file, JsonObject fields) throws IOException, InterruptedException {
    String boundary = "earshot-" + UUID.randomUUID();
    StringBuilder head = new StringBuilder();
    fields.forEach(e -> head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"")
        .append(e.getKey()).append("\"\r\n\r\n").append(e.getValue()).append("\r\n"));
    head.append("--").append(boundary).append("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"")
        .append(file.getFileName()).append("\"\r\nContent-Type: audio/wav\r\n\r\n");
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    return send(request("/api/v1/audio/jobs/upload").header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.concat(
            HttpRequest.BodyPublishers.ofString(head.toString()),
            HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(file)),
            HttpRequest.BodyPublishers.ofByteArray(tail))));
  }

  /** Submits a JSON job and returns its id; fails on anything but 202. */
  public long submit(JsonObject body) throws IOException, InterruptedException {
    Answer a = post("/api/v1/audio/jobs/submit", body);
    if (a.status() != 202 && a.status() != 200) {
      throw new AssertionError("submit answered " + a.status() + ": " + a.body());
    }
    return a.json().getLong("id");
  }

  public JsonObject job(long id) throws IOException, InterruptedException {
    return get("/api/v1/audio/jobs/" + id).json();
  }

  /** Polls the job until it is completed, failed or cancelled. */
  public JsonObject awaitEnd(long id, Duration within) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      JsonObject job = job(id);
      String status = job.getString("status");
      if (status.equals("completed") || status.equals("failed") || status.equals("cancelled")) {
        return job;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("job " + id + " did not end within " + within + ": " + job.encode());
      }
      NodeProcess.pause(Duration.ofMillis(100));
    }
  }

  private HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30))
        .header("X-API-KEY", LocalCluster.API_KEY);
  }

  private static Answer send(HttpRequest.Builder b) throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body());
  }
}
