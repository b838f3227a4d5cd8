package earshot.stream;

import earshot.bus.StreamDecoded;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The words of one decode pass with absolute times, and the agreement rule between two passes (LocalAgreement-2,
 * whisper_streaming): the longest common prefix of two consecutive hypotheses is stable. whisper.cpp 1.7.1 gives this
 * binding segment times but no token times for live passes, so a word's time is its share of its segment by length.
 * Markers whisper makes up from noise ({@code [BLANK_AUDIO]}, {@code (music)}, {@code ♪}) are dropped here.
 *
 * <p>Threading: immutable values and pure functions.
 */
public final class Hypothesis {
  private Hypothesis() {}

  private static final Pattern MARKERS = Pattern.compile("\\[[^\\]]*\\]|\\([^)]*\\)|\\*[^*]*\\*|[♪♫]");

  /** A word; times are absolute sample indexes (16 kHz) from the start of the stream. */
  public record Word(String text, long start, long end) {
    String key() {
      return text.toLowerCase(Locale.ROOT).replaceAll("[\\p{Punct}]", "");
    }
  }

  /**
   * The words of a pass that decoded samples {@code [from, to)}: segment times clamped into the pass, never before
   * {@code notBefore} (the end of what was committed), and never falling.
   */
  public static List<Word> words(StreamDecoded pass, long from, long to, long notBefore) {
    List<Word> out = new ArrayList<>();
    long floor = Math.min(Math.max(from, notBefore), to);
    for (StreamDecoded.Segment s : pass.segments()) {
      String text = MARKERS.matcher(s.text()).replaceAll(" ").strip();
      if (text.isEmpty()) {
        continue;
      }
      long a = Math.clamp(from + s.startMs() * 16, floor, to);
      long b = Math.clamp(from + s.endMs() * 16, a, to);
      String[] parts = text.split("\\s+");
      int chars = 0;
      for (String p : parts) {
        chars += p.length();
      }
      long at = a;
      int seen = 0;
      for (String p : parts) {
        seen += p.length();
        long end = a + (b - a) * seen / Math.max(1, chars);
        out.add(new Word(p, at, end));
        at = end;
      }
      floor = b;
    }
    return out;
  }

  /** How many leading words two consecutive hypotheses agree on. */
  public static int agreed(List<Word> previous, List<Word> current) {
    int n = Math.min(previous.size(), current.size());
    int k = 0;
    while (k < n && !current.get(k).key().isEmpty() && previous.get(k).key().equals(current.get(k).key())) {
      k++;
    }
    return k;
  }

  public static String text(List<Word> words) {
    StringBuilder sb = new StringBuilder();
    words.forEach(w -> sb.append(sb.isEmpty() ? "" : " ").append(w.text()));
    return sb.toString();
  }

  /** Text compared for "the same final again": case and punctuation do not make it new. */
  public static String key(String text) {
    return text.toLowerCase(Locale.ROOT).replaceAll("[\\p{Punct}\\s]+", " ").strip();
  }
}
