package earshot.bench;

import earshot.artifacts.ArtifactStore;
import earshot.artifacts.DirArtifactStore;
import earshot.artifacts.S3ArtifactStore;
import earshot.artifacts.UploadSigner;
import earshot.config.EarshotConfig;
import earshot.testsupport.S3Server;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * What the artifact store adds to a job's file hand-offs: a PCM of N minutes (32,000 bytes a second) moved into
 * the store from scratch as audio_convert does, fetched into another scratch as audio_transcribe does, and the job's
 * objects deleted, on the directory store and on S3 (S3Proxy with its filesystem backend on loopback, through the
 * same AWS SDK client as production). Median of the repetitions, in milliseconds.
 */
public final class ArtifactBench {
  public static void main(String[] args) throws Exception {
    int minutes = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    int reps = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    Path root = Files.createTempDirectory("artifact-bench");
    byte[] pcm = new byte[minutes * 60 * 32_000];
    new Random(1).nextBytes(pcm);
    System.out.printf("PCM of %d min: %.1f MB, %d repetitions (median ms)%n", minutes, pcm.length / 1e6, reps);
    try (S3Server server = S3Server.start(Files.createDirectories(root.resolve("s3")))) {
      ArtifactStore dir = new DirArtifactStore(root.resolve("store"), new UploadSigner(null, Clock.systemUTC()),
          Clock.systemUTC());
      ArtifactStore s3 = new S3ArtifactStore(new EarshotConfig.S3(server.endpoint(), S3Server.BUCKET, "us-east-1",
          S3Server.ACCESS_KEY, S3Server.SECRET_KEY, true));
      for (ArtifactStore store : List.of(dir, s3)) {
        run(store, root, pcm, 2); // warm-up
        long[][] t = run(store, root, pcm, reps);
        System.out.printf("%-4s put(move) %7.1f  fetch %7.1f  delete %6.1f%n", store.kind(),
            median(t[0]), median(t[1]), median(t[2]));
        store.close();
      }
    }
  }

  private static long[][] run(ArtifactStore store, Path root, byte[] pcm, int reps) throws Exception {
    long[][] t = new long[3][reps];
    for (int i = 0; i < reps; i++) {
      String uuid = "bench-" + i;
      Path scratch = Files.createDirectories(root.resolve("work").resolve(uuid));
      Path file = Files.write(scratch.resolve("audio.pcm"), pcm);
      long a = System.nanoTime();
      store.putMoving("jobs/" + uuid + "/audio.pcm", file);
      long b = System.nanoTime();
      try (ArtifactStore.Local local = store.fetch("jobs/" + uuid + "/audio.pcm", root.resolve("work2"))) {
        if (Files.size(local.path()) != pcm.length) {
          throw new IllegalStateException("short fetch");
        }
      }
      long c = System.nanoTime();
      store.deleteJobObjects(uuid, false);
      long d = System.nanoTime();
      t[0][i] = b - a;
      t[1][i] = c - b;
      t[2][i] = d - c;
    }
    return t;
  }

  private static double median(long[] nanos) {
    long[] s = nanos.clone();
    Arrays.sort(s);
    return s[s.length / 2] / 1e6;
  }
}
