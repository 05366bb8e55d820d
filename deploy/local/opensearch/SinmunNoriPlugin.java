/*
 * Korean ("nori") analysis for the local OpenSearch node of deploy/local/opensearch.sh.
 *
 * Maven Central carries no org.opensearch.plugin:analysis-nori artifact for OpenSearch 2.x,
 * so this file registers Lucene's own Korean analyzer (lucene-analysis-nori, same Lucene
 * version as the node) under the names the official plugin uses, with the settings Sinmun
 * relies on:
 *   tokenizer  nori_tokenizer       decompound_mode (none|discard|mixed), discard_punctuation,
 *                                   user_dictionary (file under config/) or user_dictionary_rules
 *   filter     nori_part_of_speech  stoptags (list of POS tags; Lucene's default set otherwise)
 *   filter     nori_readingform     (hanja -> hangul)
 *   filter     nori_number          (Korean numerals -> digits)
 *   analyzer   nori                 decompound_mode, stoptags, user_dictionary(_rules)
 * The script compiles it with javac against the node's jars and passes the class to the
 * runner with -pluginTypes org.sinmun.opensearch.SinmunNoriPlugin.
 */
package org.sinmun.opensearch;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.ko.KoreanAnalyzer;
import org.apache.lucene.analysis.ko.KoreanNumberFilter;
import org.apache.lucene.analysis.ko.KoreanPartOfSpeechStopFilter;
import org.apache.lucene.analysis.ko.KoreanReadingFormFilter;
import org.apache.lucene.analysis.ko.KoreanTokenizer;
import org.apache.lucene.analysis.ko.POS;
import org.apache.lucene.analysis.ko.dict.UserDictionary;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.IndexSettings;
import org.opensearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.opensearch.index.analysis.AbstractTokenFilterFactory;
import org.opensearch.index.analysis.AbstractTokenizerFactory;
import org.opensearch.index.analysis.Analysis;
import org.opensearch.index.analysis.AnalyzerProvider;
import org.opensearch.index.analysis.TokenFilterFactory;
import org.opensearch.index.analysis.TokenizerFactory;
import org.opensearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.opensearch.plugins.AnalysisPlugin;
import org.opensearch.plugins.Plugin;

public class SinmunNoriPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("nori_tokenizer", Tokenizers::new);
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "nori_part_of_speech", PartOfSpeechFilters::new,
            "nori_readingform", (indexSettings, env, name, settings) -> filter(indexSettings, name, settings, KoreanReadingFormFilter::new),
            "nori_number", (indexSettings, env, name, settings) -> filter(indexSettings, name, settings, KoreanNumberFilter::new));
    }

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("nori", Analyzers::new);
    }

    // ---- settings shared by the tokenizer and the analyzer ----

    static KoreanTokenizer.DecompoundMode decompoundMode(Settings settings) {
        String mode = settings.get("decompound_mode");
        return mode == null ? KoreanTokenizer.DEFAULT_DECOMPOUND
            : KoreanTokenizer.DecompoundMode.valueOf(mode.toUpperCase(Locale.ROOT));
    }

    static UserDictionary userDictionary(Environment env, Settings settings) {
        if (settings.get("user_dictionary") != null && settings.get("user_dictionary_rules") != null) {
            throw new IllegalArgumentException("use either [user_dictionary] or [user_dictionary_rules], not both");
        }
        List<String> rules = Analysis.parseWordList(env, settings, "user_dictionary", "user_dictionary_rules", line -> line);
        if (rules == null || rules.isEmpty()) {
            return null;
        }
        try {
            return UserDictionary.open(new StringReader(String.join("\n", rules)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the nori user dictionary", e);
        }
    }

    static Set<POS.Tag> stopTags(Settings settings) {
        List<String> tags = settings.getAsList("stoptags", null);
        if (tags == null) {
            return KoreanPartOfSpeechStopFilter.DEFAULT_STOP_TAGS;
        }
        Set<POS.Tag> result = EnumSet.noneOf(POS.Tag.class);
        for (String tag : tags) {
            result.add(POS.resolveTag(tag));
        }
        return result;
    }

    static TokenFilterFactory filter(IndexSettings indexSettings, String name, Settings settings,
                                     java.util.function.UnaryOperator<TokenStream> wrap) {
        return new AbstractTokenFilterFactory(indexSettings, name, settings) {
            @Override
            public TokenStream create(TokenStream input) {
                return wrap.apply(input);
            }
        };
    }

    // ---- factories ----

    static final class Tokenizers extends AbstractTokenizerFactory {
        private final UserDictionary dictionary;
        private final KoreanTokenizer.DecompoundMode mode;
        private final boolean discardPunctuation;

        Tokenizers(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(indexSettings, settings, name);
            this.dictionary = userDictionary(env, settings);
            this.mode = decompoundMode(settings);
            this.discardPunctuation = settings.getAsBoolean("discard_punctuation", true);
        }

        @Override
        public Tokenizer create() {
            return new KoreanTokenizer(KoreanTokenizer.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, dictionary, mode, false,
                discardPunctuation);
        }
    }

    static final class PartOfSpeechFilters extends AbstractTokenFilterFactory {
        private final Set<POS.Tag> tags;

        PartOfSpeechFilters(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(indexSettings, name, settings);
            this.tags = stopTags(settings);
        }

        @Override
        public TokenStream create(TokenStream input) {
            return new KoreanPartOfSpeechStopFilter(input, tags);
        }
    }

    static final class Analyzers extends AbstractIndexAnalyzerProvider<KoreanAnalyzer> {
        private final KoreanAnalyzer analyzer;

        Analyzers(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(indexSettings, name, settings);
            this.analyzer = new KoreanAnalyzer(userDictionary(env, settings), decompoundMode(settings),
                stopTags(settings), false);
        }

        @Override
        public KoreanAnalyzer get() {
            return analyzer;
        }
    }
}
