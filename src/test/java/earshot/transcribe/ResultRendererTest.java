package earshot.transcribe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

class ResultRendererTest {
  static final JsonObject RESULT = new JsonObject()
      .put("task", "transcribe")
      .put("text", " Hello world. Second line")
      .put("language", "en")
      .put("duration", 3725.5)
      .put("segments", new JsonArray()
          .add(new JsonObject().put("id", 0).put("start", 0.0).put("end", 2.5).put("text", " Hello world."))
          .add(new JsonObject().put("id", 1).put("start", 3723.04).put("end", 3725.5).put("text", " Second line")));

  @Test
  void verboseJsonCarriesWordsNoSpeechAndTheDetectedLanguageProbability() {
    Transcript t = new Transcript("Hi there", "de", 2.0, java.util.List.of(new Transcript.Segment(0, 0.0, 2.0,
        " Hi there", java.util.List.of(new Transcript.Word("Hi", 0.1, 0.5, 0.9), new Transcript.Word("there", 0.5,
            1.9, 0.8)), 0.25)), "base", 0.87);
    JsonObject stored = t.toJson();
    assertEquals(t, Transcript.fromJson(stored));
    JsonObject v = ResultRenderer.verboseJson(stored.put("task", "transcribe"));
    assertEquals(0.87, v.getDouble("language_probability"));
    assertEquals(2, v.getJsonArray("words").size());
    assertEquals("there", v.getJsonArray("words").getJsonObject(1).getString("word"));
    JsonObject seg = v.getJsonArray("segments").getJsonObject(0);
    assertEquals(0.25, seg.getDouble("no_speech_prob"));
    assertEquals(0.9, seg.getJsonArray("words").getJsonObject(0).getDouble("probability"));
  }

  @Test
  void verboseJsonNamesTheLanguageWhileTheStoredResultKeepsTheIsoCode() {
    JsonObject stored = RESULT.copy().put("language", "mk");
    assertEquals("macedonian", ResultRenderer.verboseJson(stored).getString("language"));
    assertEquals("mk", stored.getString("language"), "rendering leaves the stored result (job, webhook) as it was");
    assertEquals("haitian creole", ResultRenderer.verboseJson(stored.copy().put("language", "ht")).getString("language"));
  }

  @Test
  void verboseJsonWritesWhisperCppsTokenDataAndNullForWhatItDoesNotGive() {
    Transcript.Segment segment = new Transcript.Segment(0, 0.0, 2.0, "Hello world.", java.util.List.of(), null,
        java.util.List.of(2425, 1002, 50464), -0.25, Transcript.compressionRatio("Hello world."));
    JsonObject stored = new Transcript("Hello world.", "en", 2.0, java.util.List.of(segment), "base").toJson();
    assertEquals(segment, Transcript.fromJson(stored).segments().getFirst());
    JsonObject seg = ResultRenderer.verboseJson(stored).getJsonArray("segments").getJsonObject(0);
    assertEquals(new JsonArray().add(2425).add(1002).add(50464), seg.getJsonArray("tokens"));
    assertEquals(-0.25, seg.getDouble("avg_logprob"));
    assertEquals(0.6, seg.getDouble("compression_ratio"), 1e-9, "12 bytes over zlib's 20, as Python's zlib gives");
    assertTrue(seg.containsKey("no_speech_prob") && seg.getValue("no_speech_prob") == null, seg.encode());

    // A result stored without token data: null, never a made-up 0.0; the ratio still follows from the text.
    JsonObject bare = ResultRenderer.verboseJson(RESULT).getJsonArray("segments").getJsonObject(0);
    assertTrue(bare.containsKey("avg_logprob") && bare.getValue("avg_logprob") == null, bare.encode());
    assertTrue(bare.getValue("no_speech_prob") == null, bare.encode());
    assertEquals(new JsonArray(), bare.getJsonArray("tokens"));
    assertEquals(13.0 / 21, bare.getDouble("compression_ratio"), 1e-9, "\" Hello world.\": 13 bytes, 21 compressed");
  }

  @Test
  void compressionRatioIsUtf8BytesOverZlibBytes() {
    assertEquals(11.0 / 19, Transcript.compressionRatio("Second line"), 1e-12);
    assertEquals(47.0 / 14, Transcript.compressionRatio("la la la la la la la la la la la la la la la la"), 1e-12);
    assertEquals(23.0 / 31, Transcript.compressionRatio("Здраво свету"), 1e-12);
  }

  @Test
  void jsonIsTheOpenAiShape() {
    assertEquals(new JsonObject().put("text", "Hello world. Second line"),
        new JsonObject(ResultRenderer.render(RESULT, ResponseFormat.JSON)));
  }

  @Test
  void nativeJsonAddsTheLanguageAndTheWordsOnlyWhenAskedFor() {
    JsonObject withWords = RESULT.copy().put("words", new JsonArray()
        .add(new Transcript.Word("Hello", 0.0, 0.4, 0.9).toJson()));
    assertEquals(new JsonObject().put("text", "Hello world. Second line").put("language", "en")
            .put("words", withWords.getJsonArray("words")),
        new JsonObject(ResultRenderer.renderNative(withWords, ResponseFormat.JSON, true)));
    assertEquals(new JsonObject().put("text", "Hello world. Second line").put("language", "en"),
        new JsonObject(ResultRenderer.renderNative(withWords, ResponseFormat.JSON, false)));
    assertEquals(new JsonArray(), ResultRenderer.nativeJson(RESULT, true).getJsonArray("words"),
        "asked for, none found: an empty list");
    assertEquals(ResultRenderer.render(RESULT, ResponseFormat.SRT), ResultRenderer.renderNative(RESULT,
        ResponseFormat.SRT, true), "the other formats are shared");
  }

  @Test
  void textIsThePlainTranscript() {
    assertEquals("Hello world. Second line\n", ResultRenderer.render(RESULT, ResponseFormat.TEXT));
  }

  @Test
  void srtNumbersCuesFromOneWithCommaMilliseconds() {
    assertEquals("""
        1
        00:00:00,000 --> 00:00:02,500
        Hello world.

        2
        01:02:03,040 --> 01:02:05,500
        Second line

        """, ResultRenderer.render(RESULT, ResponseFormat.SRT));
  }

  @Test
  void vttHasAHeaderAndDotMilliseconds() {
    assertEquals("""
        WEBVTT

        00:00:00.000 --> 00:00:02.500
        Hello world.

        01:02:03.040 --> 01:02:05.500
        Second line

        """, ResultRenderer.render(RESULT, ResponseFormat.VTT));
  }

  @Test
  void verboseJsonCarriesOpenAisSegmentFields() {
    JsonObject v = new JsonObject(ResultRenderer.render(RESULT, ResponseFormat.VERBOSE_JSON));
    assertEquals("transcribe", v.getString("task"));
    assertEquals("english", v.getString("language"));
    assertEquals(3725.5, v.getDouble("duration"));
    assertEquals("Hello world. Second line", v.getString("text"));
    JsonObject seg = v.getJsonArray("segments").getJsonObject(1);
    for (String key : new String[] {"id", "seek", "start", "end", "text", "tokens", "temperature", "avg_logprob",
        "compression_ratio", "no_speech_prob"}) {
      assertTrue(seg.containsKey(key), key);
    }
    assertEquals(1, seg.getInteger("id"));
    assertEquals(3723.04, seg.getDouble("start"));
  }

  @Test
  void emptyCueTextAndArrowsNeverBreakSubtitles() {
    JsonObject odd = new JsonObject().put("text", "").put("segments", new JsonArray()
        .add(new JsonObject().put("id", 0).put("start", 1.0).put("end", 2.0).put("text", "  "))
        .add(new JsonObject().put("id", 1).put("start", 2.0).put("end", 3.0).put("text", "a --> b\n\nc")));
    String srt = ResultRenderer.render(odd, ResponseFormat.SRT);
    assertTrue(srt.contains("00:00:01,000 --> 00:00:02,000\n…\n\n"), srt);
    assertTrue(srt.contains("a -> b\nc\n\n"), srt);
  }

  @Test
  void formatsParseByWireName() {
    assertEquals(ResponseFormat.VERBOSE_JSON, ResponseFormat.parse("verbose_json").orElseThrow());
    assertEquals(ResponseFormat.JSON, ResponseFormat.parse(null).orElseThrow());
    assertTrue(ResponseFormat.parse("xml").isEmpty());
    assertEquals("text/vtt; charset=utf-8", ResponseFormat.VTT.contentType());
  }
}
