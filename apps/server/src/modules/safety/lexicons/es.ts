/**
 * Haven's Spanish crisis lexicon: smaller than the English one, but complete in its categories. It shows what a
 * language needs: its phrases (written without accents or with them: both are folded the same way), its negation
 * cues and clause words, its texting abbreviations and protected words (es.keep-words.ts, generated).
 *
 * Spanish is pro-drop (the subject pronoun is usually absent), so clause starts come mostly from punctuation and
 * conjunctions; object clitics stand before the verb ("me quiero morir") or are attached to it ("matarme"): both
 * forms are written out.
 */
import type { CrisisLexicon } from '@haven/api';
import { esKeepWords } from './es.keep-words.js';

const PASTILLAS = '(pastillas|pastilla|medicamentos|medicinas|medicina|pildoras|capsulas|tabletas|calmantes|somniferos|ansioliticos|antidepresivos|clonazepam|alprazolam|paracetamol|ibuprofeno)';
const PAREJA = '(esposo|marido|pareja|novio|novia|esposa|padre|papa|madre|mama|padrastro|madrastra|hermano|hijo|hija|ex|cuidador|cuidadora)';

export const es: CrisisLexicon = {
  version: 'es-2026.12.1',
  language: 'es',
  categories: {
    suicidal_ideation: [
      { id: 'si.suicidio', phrase: 'suicid*', note: 'suicidio, suicida, suicidarme' },
      { id: 'si.matarme', phrase: '(quiero|quisiera|voy a|pienso|pensando en|pensado en|ganas de|deseo|necesito|debería|podría|intenté|intente) (matarme|quitarme la vida|acabar con mi vida|terminar con mi vida|morirme|morir)' },
      { id: 'si.me_quiero_morir', phrase: 'me (quiero|quisiera|gustaría) (morir|matar|suicidar)' },
      { id: 'si.me_mato', phrase: 'me (mato|mataría|mataré|suicido|suicidaré)' },
      { id: 'si.no_quiero_vivir', phrase: '(no|ya no) (quiero|tengo ganas de|deseo) (vivir|seguir viviendo|seguir así|estar aquí|existir|despertar|despertarme)' },
      { id: 'si.mejor_muerto', phrase: '(mejor|preferiría|prefiero) (muerto|muerta|morir|morirme|estar muerto|estar muerta|no existir|no estar)' },
      { id: 'si.sin_mi', phrase: '(estarían|estaría|vivirían|estarán) mejor sin mí' },
      { id: 'si.acabar_todo', phrase: '(acabar|terminar) con todo' },
      { id: 'si.no_aguanto', phrase: 'no (aguanto|soporto) (más|esta vida|vivir|seguir)' },
      { id: 'si.no_puedo_mas', phrase: 'no puedo más con (esta vida|la vida|todo|esto)' },
      { id: 'si.sentido', phrase: 'no (tiene|le veo|le encuentro) [0-1] sentido (vivir|la vida|a la vida|seguir viviendo|seguir|a nada)' },
      { id: 'si.desaparecer', phrase: '(quiero|quisiera|ojalá|deseo) [0-1] (desaparecer|no despertar|no existir|dormir y no despertar|no haber nacido)' },
      { id: 'si.carga', phrase: 'soy (una|un) carga' },
      { id: 'si.plan', phrase: 'tengo (un plan|planeado|pensado como) [0-1] (matarme|morir|suicidarme|acabar|quitarme la vida)' },
      { id: 'si.despedida', phrase: '(carta|nota|mensaje) de (despedida|suicidio)' },
      { id: 'si.pensamientos', phrase: '(pensamientos|ideas) de (muerte|morir|matarme|quitarme la vida)' },
    ],
    self_harm: [
      { id: 'sh.autolesion', phrase: '(autoles*|autolesionarme|auto lesion*|autodaño)' },
      { id: 'sh.cortarme', phrase: '(cortarme|cortandome|me corto|me corté|me cortaba|me he cortado|me volví a cortar|me vuelvo a cortar)' },
      { id: 'sh.danarme', phrase: '(hacerme daño|me hago daño|me hice daño|me he hecho daño|lastimarme|me lastimo|me lastimé|lastimándome|herirme|me hiero)' },
      { id: 'sh.quemarme', phrase: '(quemarme|me quemo|me quemé) (a propósito|con un cigarro|con cigarros|con un encendedor|los brazos|las piernas)' },
      { id: 'sh.golpearme', phrase: '(golpearme|me golpeo|me pego) (la cabeza|contra la pared|a mí misma|a mí mismo)' },
      { id: 'sh.ganas', phrase: '(ganas de|necesito|quiero) (cortarme|lastimarme|hacerme daño|quemarme|golpearme)' },
    ],
    chest_pain: [
      { id: 'cp.dolor_pecho', phrase: '(dolor|dolores|presión|opresión|ardor|peso|punzada|punzadas|apretón) [0-4] (pecho|tórax)' },
      { id: 'cp.me_duele_pecho', phrase: '(me duele|le duele|me aprieta|me oprime) [0-1] (pecho|corazón)' },
      { id: 'cp.pecho_apretado', phrase: 'pecho [0-2] (apretado|oprimido|me duele|duele|dolor|pesado)' },
      { id: 'cp.infarto', phrase: '(infarto|ataque al corazón|ataque cardíaco|ataque cardiaco)' },
      { id: 'cp.irradia', phrase: '(baja|se extiende|corre|se va|irradia) (por|hacia|al|a la) [0-2] (brazo|mandíbula|quijada)' },
      { id: 'cp.brazo_izquierdo', phrase: '(dolor|duele|adormecido|entumecido) [0-3] brazo izquierdo' },
      { id: 'cp.no_respirar', phrase: '(no puedo|no puede|me cuesta|le cuesta) respirar' },
      { id: 'cp.falta_aire', phrase: '(me falta|le falta) el aire' },
    ],
    stroke_signs: [
      { id: 'st.cara', phrase: '(cara|boca|labio|sonrisa) [0-3] (caída|torcida|chueca|paralizada|colgando|desviada)' },
      { id: 'st.se_cayo_cara', phrase: 'se (le|me) (cayó|está cayendo|torció) (la cara|la boca|un lado)' },
      { id: 'st.un_lado', phrase: '(un lado|la mitad|mitad) de (la|su|mi) (cara|boca|cuerpo)' },
      { id: 'st.no_mueve', phrase: '(no puedo|no puede) (mover|levantar|sentir) (el|mi|su) (brazo|pierna|mano|lado)' },
      { id: 'st.debilidad', phrase: '(brazo|pierna|lado) [0-2] (entumecido|entumecida|sin fuerza|débil|paralizado|paralizada)' },
      { id: 'st.habla', phrase: '(habla|hablar|palabras|hablando) [0-2] (arrastrada|arrastrando|enredada|enredado|rara|raro|confusa|trabada)' },
      { id: 'st.arrastra', phrase: '(arrastra|arrastrando) las palabras' },
      { id: 'st.no_habla', phrase: '(no puede|no puedo) hablar (bien|claro)' },
      { id: 'st.no_salen', phrase: 'no (le|me) salen las palabras' },
      { id: 'st.derrame', phrase: '(derrame cerebral|embolia|ictus|accidente cerebrovascular)' },
      { id: 'st.vision', phrase: '(perdí|perdió|pérdida de) (la)? (vista|visión) (de|en|del) (un|el|mi|su) (ojo|lado)' },
      { id: 'st.vision_doble', phrase: '(visión doble|veo doble|ve doble)' },
      { id: 'st.cabeza', phrase: 'el peor dolor de cabeza de (mi|su) vida' },
      { id: 'st.repente', phrase: '(de repente|de golpe|repentinamente) [0-3] (mareo|mareado|mareada|confundido|confundida|no puede caminar|entumecido|entumecida|debilidad|no ve|no veo)' },
    ],
    overdose: [
      { id: 'od.sobredosis', phrase: 'sobredosis' },
      { id: 'od.todas', phrase: `(tomé|tragué|me tomé|se tomó|se tragó) [0-2] (todas|todo|un montón de|muchas|demasiadas|el frasco|la caja|un puñado de|un bote de) [0-3] ${PASTILLAS}` },
      { id: 'od.frasco', phrase: '(tomé|tragué|me tomé|se tomó|se tragó) [0-1] (todo el frasco|toda la caja|el frasco entero|la caja entera|todo el bote|un frasco entero|una caja entera|un bote entero|un frasco completo)' },
      { id: 'od.numero', phrase: `(tomé|tragué|me tomé|se tomó|se tragó) [0-1] # [0-1] ${PASTILLAS}` },
      { id: 'od.no_despierta', phrase: '(no|ya no) (despierta|responde|reacciona|respira)' },
      { id: 'od.labios', phrase: 'labios [0-2] (morados|azules)' },
      { id: 'od.naloxona', phrase: '(naloxona|narcan)' },
      { id: 'od.veneno', phrase: '(tomé|tomó|bebí|bebió|tragué|tragó|se tomó) [0-2] (cloro|lejía|veneno|raticida|insecticida|matarratas)' },
      { id: 'od.con_alcohol', phrase: `${PASTILLAS} [0-3] con (alcohol|vino|cerveza|tequila|vodka|ron)` },
    ],
    abuse: [
      { id: 'ab.me_pega', phrase: '(me|nos) (pega|pegó|golpea|golpeó|maltrata|maltrató|empuja|empujó|patea|pateó|ahorca|ahorcó|estrangula|estranguló|abofetea|cachetea|viola|violó|amenaza|amenazó|encierra|encerró)' },
      { id: 'ab.violencia', phrase: '(violencia doméstica|violencia de género|violencia familiar|violencia intrafamiliar|abuso sexual|me violaron|violada|abusaron de mí|abusa de mí|abusó de mí)' },
      { id: 'ab.segura', phrase: 'no me siento (segura|seguro|a salvo) (en casa|con él|con ella|en mi casa|en la casa)' },
      { id: 'ab.miedo', phrase: `(tengo miedo|me da miedo|miedo) (de volver a casa|de ir a casa|de él|de ella|de mi ${PAREJA.slice(1, -1).split('|').join('|de mi ')})` },
      { id: 'ab.amenaza', phrase: '(amenaza|amenazó|amenazando) con (matarme|pegarme|hacerme daño|quitarme a los niños|quitarme los niños|llevarse a los niños)' },
      { id: 'ab.control', phrase: 'no me deja (salir|ver a|hablar con|trabajar|usar el teléfono|tener dinero|ir al médico)' },
      { id: 'ab.pareja_golpes', phrase: `${PAREJA} [0-3] (me pega|me golpea|me maltrata|me pegó|me golpeó|me empujó|me amenaza)` },
    ],
  },
  exceptions: [
    { id: 'x.me_muero_de', phrase: '(me muero|me moría|morir|muriendo|muerto|muerta) de (ganas|risa|hambre|sed|sueño|frío|calor|vergüenza|aburrimiento|curiosidad|cansancio|envidia)' },
    { id: 'x.me_mato_trabajando', phrase: 'me mato (trabajando|estudiando|en el gimnasio)' },
    { id: 'x.matar_tiempo', phrase: '(matar|matando|mato) el tiempo' },
    { id: 'x.radiografia', phrase: '(radiografía|rayos x|placa|tomografía) (de|del) (tórax|pecho)' },
    { id: 'x.dar_pecho', phrase: '(dar|doy|dando|le doy) (el)? pecho' },
    { id: 'x.me_corte_pelo', phrase: '(me corté|me corto|cortarme) (el pelo|el cabello|las uñas|el dedo|cocinando|con un papel|afeitándome)' },
    { id: 'x.me_lastime_jugando', phrase: '(me lastimé|me hice daño|me lastimo) [0-3] (jugando|corriendo|en el gimnasio|al caer|al caerme|levantando|haciendo ejercicio|en el trabajo)' },
    { id: 'x.casi_infarto', phrase: '(casi|por poco) me (da|dio) un infarto' },
    { id: 'x.murio_infarto', phrase: '(murió|falleció) de (un)? (infarto|derrame)' },
    { id: 'x.me_pego_gripe', phrase: 'me (pegó|pega) (la gripe|el resfriado|un virus|el covid|la tos|la gripa)' },
    { id: 'x.me_empuja_a', phrase: 'me (empuja|empujó) a (seguir|mejorar|hacer|ir|salir)' },
  ],
  negation: {
    // The last ones are English: a patient who reads Haven in Spanish may write in English ("I'm not suicidal"), and
    // this lexicon checks their messages too (beside the English one); no Spanish sentence uses these words.
    before: ['no', 'nunca', 'jamás', 'sin', 'tampoco', 'ni', 'nadie', 'niega', 'negó', 'ya no', 'ningún', 'ninguna', 'nada de', 'libre de', 'antecedentes de', 'historial de', 'not', 'never', 'no longer', 'denies', 'denied'],
    after: ['ya pasó', 'se quitó', 'se me quitó', 'se fue', 'se pasó', 'desapareció', 'hace años', 'hace meses', 'ya está mejor'],
    pseudo: ['desde hace meses', 'desde hace años', 'desde hace semanas', 'a nadie le importa', 'no sé', 'no solo', 'no sólo', 'no puedo dejar de', 'no se me quita', 'no se quita', 'no se va', 'no mejora', 'no me ayuda', 'no funciona', 'no puedo', 'no puede', 'no me deja'],
    window: 5,
    afterWindow: 3,
  },
  clauses: {
    boundaries: ['pero', 'aunque', 'embargo', 'excepto', 'sino', 'ahora', 'hoy', 'todavía'],
    conjunctions: ['y', 'o', 'porque', 'entonces', 'pues', 'cuando', 'mientras'],
    starters: ['yo', 'ella', 'ellos', 'ellas', 'nosotros', 'usted'],
    openers: ['mi', 'su', 'me', 'la', 'el', 'los', 'las', 'ya', 'solo'],
    complementizers: ['que', 'si', 'como', 'creo', 'pienso', 'siento', 'digo'],
  },
  contractions: {},
  slang: {
    q: 'que',
    k: 'que',
    ke: 'que',
    xq: 'porque',
    pq: 'porque',
    porq: 'porque',
    tb: 'también',
    tmb: 'también',
    toy: 'estoy',
    kiero: 'quiero',
    nose: 'no sé',
    aki: 'aquí',
  },
  spellings: {},
  fuzzy: {
    minLength: 5,
    vocabulary: ['suicidio', 'suicida', 'suicidarme', 'autolesiones', 'autolesion'],
    keepWords: esKeepWords,
  },
};
