package earshot.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.testsupport.ClusterApi;
import earshot.testsupport.S3Server;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The roles apart with no shared disk: each node has a data directory of its own, and the job files go through an
 * S3 bucket (S3Proxy in the test JVM). Also a presigned upload: the client PUTs the file to the bucket and submits
 * its object key to the API node.
 */
class ClusterRolesOnS3Test extends ClusterRolesContract {
  S3Server s3;

  @Override
  Map<String, String> storeEnv(Path dataDir) throws Exception {
    if (s3 == null) {
      s3 = S3Server.start(Files.createDirectories(dir.resolve("bucket")));
    }
    Map<String, String> env = new HashMap<>();
    env.put("EARSHOT_DATA_DIR", Files.createDirectories(dataDir).toString());
    env.put("EARSHOT_ARTIFACT_STORE", "s3");
    env.put("EARSHOT_S3_ENDPOINT", s3.endpoint());
    env.put("EARSHOT_S3_BUCKET", S3Server.BUCKET);
    env.put("EARSHOT_S3_REGION", "us-east-1");
    env.put("EARSHOT_S3_ACCESS_KEY", S3Server.ACCESS_KEY);
    env.put("EARSHOT_S3_SECRET_KEY", S3Server.SECRET_KEY);
    env.put("EARSHOT_S3_PATH_STYLE", "true");
    return env;
  }

  @Override
  void closeStore() {
    if (s3 != null) {
      s3.close();
    }
  }

  @Test
  void aPresignedUploadGoesToTheBucketAndItsKeyIsTranscribedByTheOtherNodes() throws Exception {
    ClusterApi client = new ClusterApi(api);
    ClusterApi.Answer presigned = client.post("/api/v1/audio/uploads", new JsonObject().put("file_name", "speech.wav"));
    assertEquals(201, presigned.status(), presigned.body());
    JsonObject upload = presigned.json();
    HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
            upload.getString("upload_url"))).PUT(HttpRequest.BodyPublishers.ofFile(wav)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, put.statusCode(), put.body());
    long id = client.submit(new JsonObject().put("object_key", upload.getString("object_key")));
    JsonObject job = client.awaitEnd(id, JOB);
    assertEquals("completed", job.getString("status"), job.encode());
    assertEquals(200, client.get("/api/v1/audio/jobs/" + id + "/result?format=vtt").status());
  }

  @Test
  void noNodeKeepsAJobsFilesOnItsOwnDisk() throws Exception {
    ClusterApi client = new ClusterApi(api);
    long id = client.submit(new JsonObject().put("local_path", wav.toString()).put("perform_chunking", false));
    assertEquals("completed", client.awaitEnd(id, JOB).getString("status"));
    String uuid = client.job(id).getString("uuid");
    for (String node : new String[] {"api", "scheduler", "cpu", "gpu"}) {
      Path data = dir.resolve("data-" + node);
      try (Stream<Path> files = Files.walk(data)) {
        assertFalse(files.anyMatch(p -> p.toString().contains(uuid) && Files.isRegularFile(p)),
            node + " kept files of job " + uuid);
      }
    }
    assertTrue(Files.isDirectory(dir.resolve("bucket")));
  }
}
