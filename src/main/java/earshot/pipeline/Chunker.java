package earshot.pipeline;

import earshot.config.EarshotConfig;
import earshot.jobs.PayloadKeys;
import earshot.transcribe.Transcript;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * Groups transcript segments into chunks for downstream use (search, LLM context): a chunk closes before it would
 * exceed {@code max_seconds} or {@code max_chars}; the next chunk starts with the previous chunk's last
 * {@code overlap_seconds} of segments. Pure; any thread.
 */
public final class Chunker {
  private Chunker() {}

  /** One chunk: times in seconds, the ids of the segments it covers. */
  public record Chunk(int id, double start, double end, String text, int firstSegment, int lastSegment) {
    public JsonObject toJson() {
      return new JsonObject().put("id", id).put("start", start).put("end", end).put("text", text)
          .put("first_segment", firstSegment).put("last_segment", lastSegment);
    }
  }

  /** The job's chunking: defaults from config, overridden by the payload's {@code chunking} object. */
  public static EarshotConfig.Chunking settings(EarshotConfig.Chunking defaults, JsonObject payload) {
    JsonObject o = payload.getJsonObject(PayloadKeys.CHUNKING, new JsonObject());
    int maxSeconds = positive(o, "max_seconds", defaults.maxSeconds());
    int maxChars = positive(o, "max_chars", defaults.maxChars());
    int overlap = o.getValue("overlap_seconds") instanceof Number n ? Math.max(0, n.intValue()) : defaults.overlapSeconds();
    return new EarshotConfig.Chunking(maxSeconds, maxChars, overlap);
  }

  private static int positive(JsonObject o, String key, int fallback) {
    return o.getValue(key) instanceof Number n && n.intValue() > 0 ? n.intValue() : fallback;
  }

  public static List<Chunk> chunk(List<Transcript.Segment> segments, EarshotConfig.Chunking s) {
    List<Chunk> chunks = new ArrayList<>();
    int start = 0;
    while (start < segments.size()) {
      int end = start; // inclusive
      int chars = segments.get(start).text().strip().length();
      while (end + 1 < segments.size()) {
        Transcript.Segment next = segments.get(end + 1);
        int nextChars = chars + 1 + next.text().strip().length();
        double span = next.end() - segments.get(start).start();
        if (span > s.maxSeconds() || nextChars > s.maxChars()) {
          break;
        }
        end++;
        chars = nextChars;
      }
      chunks.add(build(chunks.size(), segments, start, end));
      if (end + 1 >= segments.size()) {
        break;
      }
      // Overlap: step back over the segments that end within the last overlap_seconds, but always move forward.
      int nextStart = end + 1;
      double overlapFrom = segments.get(end).end() - s.overlapSeconds();
      while (s.overlapSeconds() > 0 && nextStart - 1 > start && segments.get(nextStart - 1).start() >= overlapFrom) {
        nextStart--;
      }
      start = nextStart;
    }
    return chunks;
  }

  private static Chunk build(int id, List<Transcript.Segment> segments, int from, int to) {
    StringBuilder text = new StringBuilder();
    for (int i = from; i <= to; i++) {
      String t = segments.get(i).text().strip();
      if (!t.isEmpty()) {
        if (!text.isEmpty()) {
          text.append(' ');
        }
        text.append(t);
      }
    }
    return new Chunk(id, segments.get(from).start(), segments.get(to).end(), text.toString(),
        segments.get(from).id(), segments.get(to).id());
  }
}
