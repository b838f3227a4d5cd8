package earshot.transcribe;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.zip.Deflater;

/**
 * What transcription produced: the full text, the language (and, when it was detected, its probability), and
 * segments with absolute times in seconds and their words. This is the shape stored in the payload after
 * audio_transcribe and read by the chunker, the store and the renderers; the top-level {@code words} list is the
 * segments' words in order, as OpenAI's verbose_json has them.
 */
public record Transcript(String text, String language, double durationSeconds, List<Segment> segments, String model,
                         Double languageProbability) {

  public Transcript(String text, String language, double durationSeconds, List<Segment> segments, String model) {
    this(text, language, durationSeconds, segments, model, null);
  }

  /** A word; {@code start}/{@code end} in seconds from the start of the audio, {@code probability} 0–1. */
  public record Word(String word, double start, double end, double probability) {
    public JsonObject toJson() {
      return new JsonObject().put("word", word).put("start", start).put("end", end).put("probability", probability);
    }

    public static Word fromJson(JsonObject j) {
      return new Word(j.getString("word"), j.getDouble("start"), j.getDouble("end"), j.getDouble("probability", 0.0));
    }
  }

  /**
   * One segment; {@code start}/{@code end} in seconds from the start of the audio. What whisper.cpp tells about it:
   * {@code tokens} (its token ids), {@code avgLogprob} (see {@link WhisperEngine.RawSegment}) and
   * {@code noSpeechProb}; empty or null when the engine did not provide them. {@code compressionRatio} is computed
   * from the text ({@link #compressionRatio(String)}).
   */
  public record Segment(int id, double start, double end, String text, List<Word> words, Double noSpeechProb,
                        List<Integer> tokens, Double avgLogprob, Double compressionRatio) {
    public Segment(int id, double start, double end, String text) {
      this(id, start, end, text, List.of(), null);
    }

    public Segment(int id, double start, double end, String text, List<Word> words, Double noSpeechProb) {
      this(id, start, end, text, words, noSpeechProb, List.of(), null, null);
    }

    public JsonObject toJson() {
      JsonObject j = new JsonObject().put("id", id).put("start", start).put("end", end).put("text", text);
      if (!words.isEmpty()) {
        JsonArray w = new JsonArray();
        words.forEach(x -> w.add(x.toJson()));
        j.put("words", w);
      }
      if (noSpeechProb != null) {
        j.put("no_speech_prob", noSpeechProb);
      }
      if (!tokens.isEmpty()) {
        j.put("tokens", new JsonArray(List.copyOf(tokens)));
      }
      if (avgLogprob != null) {
        j.put("avg_logprob", avgLogprob);
      }
      if (compressionRatio != null) {
        j.put("compression_ratio", compressionRatio);
      }
      return j;
    }

    public static Segment fromJson(JsonObject j) {
      List<Word> words = j.getJsonArray("words", new JsonArray()).stream()
          .map(o -> Word.fromJson((JsonObject) o)).toList();
      List<Integer> tokens = j.getJsonArray("tokens", new JsonArray()).stream()
          .map(o -> ((Number) o).intValue()).toList();
      return new Segment(j.getInteger("id"), j.getDouble("start"), j.getDouble("end"), j.getString("text"), words,
          j.getDouble("no_speech_prob"), tokens, j.getDouble("avg_logprob"), j.getDouble("compression_ratio"));
    }
  }

  /**
   * The UTF-8 length of {@code text} over its zlib-compressed length, as OpenAI's reference computes it
   * ({@code len(b) / len(zlib.compress(b))}, zlib's default level); high values mean repetitive text.
   */
  public static double compressionRatio(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    Deflater zlib = new Deflater(Deflater.DEFAULT_COMPRESSION);
    try {
      zlib.setInput(bytes);
      zlib.finish();
      byte[] buffer = new byte[bytes.length + 64];
      int compressed = 0;
      while (!zlib.finished()) {
        compressed += zlib.deflate(buffer);
      }
      return (double) bytes.length / compressed;
    } finally {
      zlib.end();
    }
  }

  public JsonObject toJson() {
    JsonArray segs = new JsonArray();
    JsonArray words = new JsonArray();
    segments.forEach(s -> {
      segs.add(s.toJson());
      s.words().forEach(w -> words.add(w.toJson()));
    });
    JsonObject j = new JsonObject().put("text", text).put("language", language).put("duration", durationSeconds)
        .put("segments", segs).put("model", model);
    if (!words.isEmpty()) {
      j.put("words", words);
    }
    if (languageProbability != null) {
      j.put("language_probability", languageProbability);
    }
    return j;
  }

  public static Transcript fromJson(JsonObject j) {
    List<Segment> segs = j.getJsonArray("segments", new JsonArray()).stream()
        .map(o -> Segment.fromJson((JsonObject) o)).toList();
    return new Transcript(j.getString("text", ""), j.getString("language"), j.getDouble("duration", 0.0), segs,
        j.getString("model"), j.getDouble("language_probability"));
  }
}
