package earshot;

import static earshot.testsupport.Await.await;
import static earshot.testsupport.Await.until;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.artifacts.ArtifactKeys;
import earshot.artifacts.ArtifactStore;
import earshot.artifacts.S3ArtifactStore;
import earshot.audio.TestAudio;
import earshot.config.ConfigLoader;
import earshot.config.EarshotConfig;
import earshot.metrics.NoopJobMetrics;
import earshot.pipeline.AudioPipeline;
import earshot.testsupport.Databases;
import earshot.testsupport.Deadlines;
import earshot.testsupport.S3Server;
import earshot.transcribe.SyntheticModel;
import earshot.transcribe.WhisperFfmEngine;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.multipart.MultipartForm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An API + scheduler node and a CPU + GPU node with data directories of their own, sharing only the event bus (one
 * Vert.x: the bus is not clustered yet) and an S3 bucket: the upload that arrives at the API node is decoded and
 * transcribed by the other node, which reads it from the bucket, not from the API node's disk. Neither node keeps
 * any of the job's files afterwards.
 */
class SplitNodesOnS3Test {
  static final String KEY = "split-nodes-key-0123456789";

  @TempDir
  Path dir;

  @Test
  void anUploadAtTheApiNodeIsDecodedAndTranscribedByAWorkerNodeWithoutASharedDisk() throws Exception {
    Path models = Files.createDirectories(dir.resolve("models"));
    SyntheticModel.write(models.resolve("ggml-base.bin"), SyntheticModel.Spec.tiny());
    Path wav = TestAudio.writeWav(dir.resolve("talk.wav"), 3, 16000, 1);
    Vertx vertx = Vertx.vertx();
    WebClient client = WebClient.create(vertx);
    try (S3Server s3 = S3Server.start(Files.createDirectories(dir.resolve("s3")))) {
      Path apiData = dir.resolve("api-data");
      Path workerData = dir.resolve("worker-data");
      EarshotConfig apiConfig = config(s3, apiData, models, List.of("api", "scheduler"));
      EarshotConfig workerConfig = config(s3, workerData, models, List.of("cpu", "gpu"));
      WhisperFfmEngine engine = new WhisperFfmEngine(workerConfig.audio().whisper().maxStates(), null);
      ArtifactStore bucket = new S3ArtifactStore(apiConfig.artifacts().s3());
      EarshotNode apiNode = new EarshotNode(vertx, apiConfig, NoopJobMetrics.INSTANCE, null,
          earshot.runner.StageRegistry.of(), Clock.systemUTC());
      EarshotNode workerNode = new EarshotNode(vertx, workerConfig, NoopJobMetrics.INSTANCE, null,
          AudioPipeline.stages(workerConfig, engine, Clock.systemUTC()), Clock.systemUTC());
      try {
        await(apiNode.start());
        await(workerNode.start());
        HttpResponse<Buffer> created = await(client.post(apiNode.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/upload")
            .putHeader("X-API-KEY", KEY)
            .sendMultipartForm(MultipartForm.create().binaryFileUpload("file", "talk.wav", wav.toString(), "audio/wav")));
        assertEquals(202, created.statusCode(), created.bodyAsString());
        long id = created.bodyAsJsonObject().getLong("id");
        String uuid = created.bodyAsJsonObject().getString("uuid");
        JsonObject done = until("the job to finish", Deadlines.loaded(Duration.ofSeconds(12)),
            () -> await(client.get(apiNode.httpPort(), "127.0.0.1", "/api/v1/audio/jobs/" + id)
                .putHeader("X-API-KEY", KEY).send()).bodyAsJsonObject(),
            j -> List.of("completed", "failed", "cancelled").contains(j.getString("status")));
        assertEquals("completed", done.getString("status"), done.encode());
        HttpResponse<Buffer> srt = await(client.get(apiNode.httpPort(), "127.0.0.1",
            "/api/v1/audio/jobs/" + id + "/result?format=srt").putHeader("X-API-KEY", KEY).send());
        assertEquals(200, srt.statusCode(), srt.bodyAsString());
        assertEquals(4, bucket.list(ArtifactKeys.resultsPrefix(uuid)).size(), "the result files are in the bucket");
        until("the job's objects to go", Deadlines.WAIT, () -> {
          try {
            return bucket.list(ArtifactKeys.jobPrefix(uuid)).isEmpty();
          } catch (Exception e) {
            throw new AssertionError(e);
          }
        });
        for (Path data : List.of(apiData, workerData)) {
          try (Stream<Path> files = Files.exists(data) ? Files.walk(data) : Stream.empty()) {
            List<Path> left = files.filter(Files::isRegularFile)
                .filter(p -> !p.getFileName().toString().startsWith("earshot.db")).toList();
            assertEquals(List.of(), left, "nothing of the job stays on " + data.getFileName());
          }
        }
        assertFalse(Files.exists(workerData.resolve("uploads")), "the worker node never saw the upload arrive");
        assertTrue(Files.exists(apiData.resolve("uploads")), "the API node staged it");
      } finally {
        await(workerNode.stop());
        await(apiNode.stop());
        await(vertx.close());
        engine.close();
        bucket.close();
      }
    }
  }

  EarshotConfig config(S3Server s3, Path data, Path models, List<String> roles) {
    return ConfigLoader.fromOverrides(new JsonObject()
        .put("data_dir", data.toString())
        .put("roles", roles)
        .put("store", new JsonObject().put("url", Databases.sqliteUrl(dir)))
        .put("http", new JsonObject().put("host", "127.0.0.1").put("port", 0))
        .put("jobs", new JsonObject().put("poll_interval_ms", 100).put("retry_backoff_ms", 100).put("max_retries", 1))
        .put("api", new JsonObject().put("key", KEY))
        .put("audio", new JsonObject()
            .put("models_dir", models.toString())
            .put("default_model", "base")
            .put("whisper", new JsonObject().put("window_seconds", 30).put("threads", 1).put("best_of", 1)
                .put("temperature_inc", 0.4)))
        .mergeIn(s3.overrides(), true));
  }
}
