package earshot.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import earshot.config.EarshotConfig;
import earshot.transcribe.Transcript;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkerTest {
  /** n segments of 10 s each, "s0".."s(n-1)". */
  static List<Transcript.Segment> segments(int n) {
    List<Transcript.Segment> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(new Transcript.Segment(i, i * 10.0, i * 10.0 + 10, " s" + i));
    }
    return out;
  }

  @Test
  void chunksCloseAtMaxSecondsWithoutOverlap() {
    List<Chunker.Chunk> chunks = Chunker.chunk(segments(7), new EarshotConfig.Chunking(30, 10_000, 0));
    assertEquals(List.of("s0 s1 s2", "s3 s4 s5", "s6"), chunks.stream().map(Chunker.Chunk::text).toList());
    assertEquals(30.0, chunks.get(1).start());
    assertEquals(60.0, chunks.get(1).end());
    assertEquals(List.of(0, 1, 2), chunks.stream().map(Chunker.Chunk::id).toList());
  }

  @Test
  void overlapRepeatsTheTailOfThePreviousChunk() {
    List<Chunker.Chunk> chunks = Chunker.chunk(segments(6), new EarshotConfig.Chunking(30, 10_000, 10));
    assertEquals(List.of("s0 s1 s2", "s2 s3 s4", "s4 s5"), chunks.stream().map(Chunker.Chunk::text).toList());
  }

  @Test
  void maxCharsAlsoClosesAChunk() {
    List<Chunker.Chunk> chunks = Chunker.chunk(segments(4), new EarshotConfig.Chunking(1000, 5, 0));
    assertEquals(List.of("s0 s1", "s2 s3"), chunks.stream().map(Chunker.Chunk::text).toList());
  }

  @Test
  void hugeOverlapStillMakesProgressAndOversizedSegmentsStandAlone() {
    List<Chunker.Chunk> chunks = Chunker.chunk(segments(5), new EarshotConfig.Chunking(5, 10_000, 1000));
    assertEquals(5, chunks.size(), "one segment per chunk when each exceeds max_seconds");
    assertTrue(Chunker.chunk(List.of(), new EarshotConfig.Chunking(30, 100, 5)).isEmpty());
  }

  @Test
  void perJobSettingsOverrideDefaults() {
    EarshotConfig.Chunking defaults = new EarshotConfig.Chunking(60, 2000, 5);
    JsonObject payload = new JsonObject().put("chunking", new JsonObject().put("max_seconds", 20).put("overlap_seconds", 0));
    assertEquals(new EarshotConfig.Chunking(20, 2000, 0), Chunker.settings(defaults, payload));
    assertEquals(defaults, Chunker.settings(defaults, new JsonObject()));
  }
}
