package earshot.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Talks to the {@code /v1} routes the way the official OpenAI SDKs do, over java.net.http: a multipart form with
 * {@code file}, {@code model} and the other fields, the key as {@code Authorization: Bearer}, and errors read from the
 * body's {@code error} member only (what the SDKs show; without it they say "422 status code (no body)").
 */
final class OpenAiSdkClient {
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  /** Generous: with the 1 s keep-alive of the tests, the headers of even a long transcription come within 1 s. */
  static final Duration HEADERS_WITHIN = Duration.ofMinutes(2);

  private final String base;
  private final String key;

  OpenAiSdkClient(int port, String key) {
    this.base = "http://127.0.0.1:" + port;
    this.key = key;
  }

  /** A form to post: fields in order, then the file part. */
  static final class Form {
    final Map<String, String> fields = new LinkedHashMap<>();
    final Map<String, String> headers = new LinkedHashMap<>();
    Path file;
    String key;

    Form field(String name, String value) {
      fields.put(name, value);
      return this;
    }

    Form header(String name, String value) {
      headers.put(name, value);
      return this;
    }

    /** Sends this bearer token instead of the client's key; null sends no Authorization header. */
    Form key(String value) {
      key = value;
      headers.put("Authorization", value == null ? "" : "Bearer " + value);
      return this;
    }
  }

  static Form form(Path file, String model) {
    Form f = new Form();
    f.file = file;
    return f.field("model", model);
  }

  HttpResponse<String> post(String path, Form form) throws IOException, InterruptedException {
    return http.send(request(path, form), HttpResponse.BodyHandlers.ofString());
  }

  /** The response as soon as its headers arrive, its body to read as it comes (closing it drops the connection). */
  HttpResponse<InputStream> open(String path, Form form) throws IOException, InterruptedException {
    return http.send(request(path, form), HttpResponse.BodyHandlers.ofInputStream());
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(HEADERS_WITHIN)
        .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest request(String path, Form form) throws IOException {
    String boundary = "----sdk" + UUID.randomUUID();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (var e : form.fields.entrySet()) {
      body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + e.getKey() + "\"\r\n\r\n"
          + e.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
    }
    if (form.file != null) {
      body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
          + form.file.getFileName() + "\"\r\nContent-Type: application/octet-stream\r\n\r\n")
          .getBytes(StandardCharsets.UTF_8));
      body.writeBytes(Files.readAllBytes(form.file));
      body.writeBytes("\r\n".getBytes(StandardCharsets.UTF_8));
    }
    body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
        .timeout(HEADERS_WITHIN) // a server that never answers fails the test instead of hanging it
        .header("Content-Type", "multipart/form-data; boundary=" + boundary)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
    if (!form.headers.containsKey("Authorization")) {
      b.header("Authorization", "Bearer " + key);
    }
    form.headers.forEach((name, value) -> {
      if (!value.isEmpty()) {
        b.header(name, value);
      }
    });
    return b.build();
  }

  /**
   * The error an SDK would raise: the status, application/json, and {@code {"error": {message, type, param, code}}}
   * with a message and a type; returns the error object.
   */
  static JsonObject assertError(HttpResponse<String> r, int status, String type, String param, String code) {
    assertEquals(status, r.statusCode(), r.body());
    assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null), r.body());
    JsonObject error = new JsonObject(r.body()).getJsonObject("error");
    assertNotNull(error, "the SDKs read only the error member: " + r.body());
    assertEquals(java.util.Set.of("message", "type", "param", "code"), error.fieldNames(), r.body());
    assertFalse(error.getString("message").isBlank(), r.body());
    assertEquals(type, error.getString("type"), r.body());
    assertEquals(param, error.getString("param"), r.body());
    assertEquals(code, error.getString("code"), r.body());
    return error;
  }

  /** Reads {@code in} up to its end, returning the bytes as text. */
  static String readAll(InputStream in) throws IOException {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Reads {@code n} bytes that must all be whitespace (the keep-alive), failing on anything else. */
  static void readKeepAlive(InputStream in, int n) throws IOException {
    for (int i = 0; i < n; i++) {
      int b = in.read();
      assertTrue(b == '\n' || b == ' ', "keep-alive byte " + i + " was " + b);
    }
  }
}
