package earshot.artifacts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class DirArtifactStoreTest extends ArtifactStoreContract {
  @Override
  ArtifactStore open(Path dir) {
    return new DirArtifactStore(dir.resolve("store"), new UploadSigner("a-secret-of-16-chars", Clock.systemUTC()),
        Clock.systemUTC());
  }

  @Test
  void keysAreFilesUnderTheRootAndAFetchIsInPlace() throws Exception {
    store.put("results/j1/transcript.srt", file("srt", "1"));
    Path inStore = dir.resolve("store/results/j1/transcript.srt");
    assertTrue(Files.isRegularFile(inStore));
    try (ArtifactStore.Local local = store.fetch("results/j1/transcript.srt", scratch)) {
      assertEquals(inStore, local.path());
      assertFalse(local.temporary());
    }
    assertTrue(Files.exists(inStore), "closing an in-place file keeps it");
  }

  @Test
  void emptyJobDirectoriesGoWithTheirLastObject() throws Exception {
    store.put("jobs/j2/audio.pcm", file("p", "p"));
    store.deleteJobObjects("j2", false);
    assertFalse(Files.exists(dir.resolve("store/jobs/j2")));
  }

  @Test
  void signedUploadUrlsVerifyAndExpire() {
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    UploadSigner signer = new UploadSigner("a-secret-of-16-chars", Clock.fixed(now, ZoneOffset.UTC));
    var url = signer.sign("uploads/abc/1-x.wav", now.plusSeconds(60));
    String q = url.getRawQuery();
    String expires = q.replaceAll(".*expires=(\\d+).*", "$1");
    String sig = q.replaceAll(".*signature=([0-9a-f]+).*", "$1");
    assertEquals(UploadSigner.ROUTE + "uploads/abc/1-x.wav", url.getRawPath());
    assertEquals(UploadSigner.Verdict.VALID, signer.verify("uploads/abc/1-x.wav", expires, sig));
    assertEquals(UploadSigner.Verdict.BAD_SIGNATURE, signer.verify("uploads/abd/1-x.wav", expires, sig),
        "another key");
    assertEquals(UploadSigner.Verdict.BAD_SIGNATURE,
        signer.verify("uploads/abc/1-x.wav", String.valueOf(Long.parseLong(expires) + 1), sig), "a longer expiry");
    assertEquals(UploadSigner.Verdict.BAD_SIGNATURE, signer.verify("uploads/abc/1-x.wav", expires, null));
    UploadSigner later = new UploadSigner("a-secret-of-16-chars", Clock.fixed(now.plus(Duration.ofMinutes(2)),
        ZoneOffset.UTC));
    assertEquals(UploadSigner.Verdict.EXPIRED, later.verify("uploads/abc/1-x.wav", expires, sig));
    UploadSigner otherSecret = new UploadSigner("another-secret-16-chars", Clock.fixed(now, ZoneOffset.UTC));
    assertEquals(UploadSigner.Verdict.BAD_SIGNATURE, otherSecret.verify("uploads/abc/1-x.wav", expires, sig));
  }

  @Test
  void ownerPrefixesDifferAndStagedKeysParse() {
    String a = ArtifactKeys.ownerPrefix("alice");
    assertTrue(a.startsWith("uploads/"));
    assertFalse(a.equals(ArtifactKeys.ownerPrefix("bob")));
    assertEquals(a, ArtifactKeys.ownerPrefix("alice"));
    String key = ArtifactKeys.newStagedUpload("alice", 1234, "Talk.MP3");
    ArtifactKeys.Staged staged = ArtifactKeys.parseStaged(ArtifactKeys.check(key));
    assertEquals(a, staged.ownerPrefix());
    assertEquals(1234, staged.expiresEpochSecond());
    assertEquals(".mp3", staged.extension());
    assertEquals(null, ArtifactKeys.parseStaged("jobs/x/upload.wav"));
    assertEquals(ArtifactKeys.ownerPrefix("../../etc"), ArtifactKeys.ownerPrefix("../../etc"));
    ArtifactKeys.check(ArtifactKeys.ownerPrefix("../../etc") + "1-" + "0".repeat(32));
  }
}
