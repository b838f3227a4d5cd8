package earshot.transcribe;

import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The languages whisper.cpp 1.7.1 knows (its {@code g_lang} table: ISO-639-1 codes, plus "haw" and "yue"), with the
 * lower-case English names that OpenAI's verbose_json reports. Kept in Java so that an API node, which never loads
 * the native library, can validate a job's language; WhisperLibraryTest checks it against the library.
 */
public final class Languages {
  private Languages() {}

  private static final Map<String, String> NAMES = Map.ofEntries(
      Map.entry("en", "english"), Map.entry("zh", "chinese"), Map.entry("de", "german"),
      Map.entry("es", "spanish"), Map.entry("ru", "russian"), Map.entry("ko", "korean"),
      Map.entry("fr", "french"), Map.entry("ja", "japanese"), Map.entry("pt", "portuguese"),
      Map.entry("tr", "turkish"), Map.entry("pl", "polish"), Map.entry("ca", "catalan"),
      Map.entry("nl", "dutch"), Map.entry("ar", "arabic"), Map.entry("sv", "swedish"),
      Map.entry("it", "italian"), Map.entry("id", "indonesian"), Map.entry("hi", "hindi"),
      Map.entry("fi", "finnish"), Map.entry("vi", "vietnamese"), Map.entry("he", "hebrew"),
      Map.entry("uk", "ukrainian"), Map.entry("el", "greek"), Map.entry("ms", "malay"),
      Map.entry("cs", "czech"), Map.entry("ro", "romanian"), Map.entry("da", "danish"),
      Map.entry("hu", "hungarian"), Map.entry("ta", "tamil"), Map.entry("no", "norwegian"),
      Map.entry("th", "thai"), Map.entry("ur", "urdu"), Map.entry("hr", "croatian"),
      Map.entry("bg", "bulgarian"), Map.entry("lt", "lithuanian"), Map.entry("la", "latin"),
      Map.entry("mi", "maori"), Map.entry("ml", "malayalam"), Map.entry("cy", "welsh"),
      Map.entry("sk", "slovak"), Map.entry("te", "telugu"), Map.entry("fa", "persian"),
      Map.entry("lv", "latvian"), Map.entry("bn", "bengali"), Map.entry("sr", "serbian"),
      Map.entry("az", "azerbaijani"), Map.entry("sl", "slovenian"), Map.entry("kn", "kannada"),
      Map.entry("et", "estonian"), Map.entry("mk", "macedonian"), Map.entry("br", "breton"),
      Map.entry("eu", "basque"), Map.entry("is", "icelandic"), Map.entry("hy", "armenian"),
      Map.entry("ne", "nepali"), Map.entry("mn", "mongolian"), Map.entry("bs", "bosnian"),
      Map.entry("kk", "kazakh"), Map.entry("sq", "albanian"), Map.entry("sw", "swahili"),
      Map.entry("gl", "galician"), Map.entry("mr", "marathi"), Map.entry("pa", "punjabi"),
      Map.entry("si", "sinhala"), Map.entry("km", "khmer"), Map.entry("sn", "shona"),
      Map.entry("yo", "yoruba"), Map.entry("so", "somali"), Map.entry("af", "afrikaans"),
      Map.entry("oc", "occitan"), Map.entry("ka", "georgian"), Map.entry("be", "belarusian"),
      Map.entry("tg", "tajik"), Map.entry("sd", "sindhi"), Map.entry("gu", "gujarati"),
      Map.entry("am", "amharic"), Map.entry("yi", "yiddish"), Map.entry("lo", "lao"),
      Map.entry("uz", "uzbek"), Map.entry("fo", "faroese"), Map.entry("ht", "haitian creole"),
      Map.entry("ps", "pashto"), Map.entry("tk", "turkmen"), Map.entry("nn", "nynorsk"),
      Map.entry("mt", "maltese"), Map.entry("sa", "sanskrit"), Map.entry("lb", "luxembourgish"),
      Map.entry("my", "myanmar"), Map.entry("bo", "tibetan"), Map.entry("tl", "tagalog"),
      Map.entry("mg", "malagasy"), Map.entry("as", "assamese"), Map.entry("tt", "tatar"),
      Map.entry("haw", "hawaiian"), Map.entry("ln", "lingala"), Map.entry("ha", "hausa"),
      Map.entry("ba", "bashkir"), Map.entry("jw", "javanese"), Map.entry("su", "sundanese"),
      Map.entry("yue", "cantonese"));

  /** The language a job asked for, lower-cased, or "auto" (detect it) when it asked for none. */
  public static String orAuto(String language) {
    return language == null || language.isBlank() ? "auto" : language.trim().toLowerCase(Locale.ROOT);
  }

  /** The English name for a code; unknown codes are returned as given, null as "unknown". */
  public static String name(String code) {
    if (code == null || code.isBlank()) {
      return "unknown";
    }
    return NAMES.getOrDefault(code.toLowerCase(Locale.ROOT), code);
  }

  public static boolean isKnown(String code) {
    return code != null && NAMES.containsKey(code.toLowerCase(Locale.ROOT));
  }

  /** What a job may ask for: "auto" (detect it) or a code whisper.cpp knows; case does not matter. */
  public static boolean accepts(String code) {
    return "auto".equalsIgnoreCase(code) || isKnown(code);
  }

  /** Every code whisper.cpp knows, to compare with the library's own table. */
  public static Set<String> codes() {
    return NAMES.keySet();
  }
}
