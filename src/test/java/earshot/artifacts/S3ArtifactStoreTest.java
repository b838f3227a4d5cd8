package earshot.artifacts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.EarshotConfig;
import earshot.jobs.RetryableStageException;
import earshot.testsupport.S3Server;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The contract against a real S3 server (S3Proxy, filesystem backend), and what only S3 has: presigned PUTs. */
class S3ArtifactStoreTest extends ArtifactStoreContract {
  @TempDir
  static Path serverDir;
  static S3Server server;

  @BeforeAll
  static void startServer() {
    server = S3Server.start(serverDir);
  }

  @AfterAll
  static void stopServer() {
    server.close();
  }

  static EarshotConfig.S3 settings(String endpoint, String bucket) {
    return new EarshotConfig.S3(endpoint, bucket, "us-east-1", S3Server.ACCESS_KEY, S3Server.SECRET_KEY, true);
  }

  @Override
  ArtifactStore open(Path dir) throws Exception {
    // One bucket for the class: each test's keys are its own, and a fresh store sees an empty bucket.
    ArtifactStore s = new S3ArtifactStore(settings(server.endpoint(), S3Server.BUCKET));
    s.deletePrefix("jobs/");
    s.deletePrefix("results/");
    s.deletePrefix("uploads/");
    return s;
  }

  @Test
  void aPresignedPutStoresTheBodyWithNoOtherCredentials() throws Exception {
    ArtifactStore.PresignedPut put = store.presignPut("uploads/owner/9-abc.wav", Duration.ofMinutes(5));
    assertTrue(put.url().toString().startsWith(server.endpoint() + "/" + S3Server.BUCKET + "/uploads/owner/9-abc.wav?"),
        put.url().toString());
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(put.url())
        .PUT(HttpRequest.BodyPublishers.ofString("RIFF-presigned")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(14, store.size("uploads/owner/9-abc.wav").orElseThrow());
    // The same URL for another key is refused by the server.
    String forged = put.url().toString().replace("9-abc.wav", "9-abd.wav");
    HttpResponse<String> refused = http.send(HttpRequest.newBuilder(java.net.URI.create(forged))
        .PUT(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(403, refused.statusCode());
    assertTrue(store.size("uploads/owner/9-abd.wav").isEmpty());
  }

  @Test
  void anUnreachableServerIsARetryableFailure() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    try (ArtifactStore down = new S3ArtifactStore(settings("http://127.0.0.1:" + closed, S3Server.BUCKET))) {
      Path local = file("x", "x");
      ArtifactUnavailableException e = assertThrows(ArtifactUnavailableException.class,
          () -> down.put("jobs/j/audio.pcm", local));
      assertTrue(e instanceof RetryableStageException);
      assertThrows(ArtifactUnavailableException.class, () -> down.size("jobs/j/audio.pcm"));
      assertThrows(ArtifactUnavailableException.class, () -> down.fetch("jobs/j/audio.pcm", scratch));
      assertThrows(ArtifactUnavailableException.class, down::check);
      try (var left = Files.list(scratch)) {
        assertEquals(List.of(), left.toList(), "a failed fetch leaves nothing in scratch");
      }
    }
  }

  /** A HEAD answer has no body to tell a missing bucket from a missing key, so size() cannot; these can. */
  @Test
  void aMissingBucketIsUnavailableNotAMissingKey() {
    try (ArtifactStore nobucket = new S3ArtifactStore(settings(server.endpoint(), "no-such-bucket"))) {
      assertThrows(ArtifactUnavailableException.class, () -> nobucket.fetch("jobs/j/audio.pcm", scratch));
      assertThrows(ArtifactUnavailableException.class, nobucket::check);
    }
    store.check();
  }
}
