package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EnergyCutterTest {
  private static final int RATE = PcmFile.SAMPLE_RATE;

  @TempDir
  Path dir;

  @Test
  void cutsInTheQuietGapNearTheBoundary() throws Exception {
    float[] audio = TestAudio.silence(TestAudio.tones(70, 1), 31.2, 31.6);
    try (PcmFile pcm = PcmFile.open(TestAudio.writePcm(dir.resolve("a.pcm"), audio))) {
      long cut = new EnergyCutter(30 * RATE).nextCut(pcm, 0);
      assertTrue(cut > 31.2 * RATE && cut < 31.6 * RATE, "cut at " + cut / (double) RATE + " s");
    }
  }

  @Test
  void lastWindowTakesTheRemainder() throws Exception {
    try (PcmFile pcm = PcmFile.open(TestAudio.writePcm(dir.resolve("b.pcm"), TestAudio.tones(32, 2)))) {
      assertEquals(pcm.samples(), new EnergyCutter(30 * RATE).nextCut(pcm, 0));
    }
  }

  @Test
  void everyCutStaysWithinTheSearchRadius() throws Exception {
    try (PcmFile pcm = PcmFile.open(TestAudio.writePcm(dir.resolve("c.pcm"), TestAudio.tones(200, 3)))) {
      EnergyCutter cutter = new EnergyCutter(30 * RATE);
      long start = 0;
      int windows = 0;
      while (start < pcm.samples()) {
        long end = cutter.nextCut(pcm, start);
        assertTrue(end > start);
        if (end < pcm.samples()) {
          assertTrue(Math.abs(end - start - 30L * RATE) <= EnergyCutter.MAX_SEARCH, "window " + (end - start));
        }
        start = end;
        windows++;
      }
      assertTrue(windows >= 6 && windows <= 8, "windows: " + windows);
    }
  }

  @Test
  void silenceCutsAtTheBoundaryItself() {
    assertEquals(3 * RATE, EnergyCutter.quietestPoint(new float[6 * RATE]), 1.0 * EnergyCutter.HOP);
  }
}
