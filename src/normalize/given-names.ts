/**
 * Given-name classes: a formal given name and the short forms people go by
 * (ROBERT, BOB, ROB, BOBBY, ROBBIE). The evidence token kind
 * `given-name-class-bigrams` (protocols/linkage-schema.md, Evidence) hashes
 * the class's formal name in place of a short form, so a record written
 * "Bob" in one agency's file and "Robert" in another agree on their name +
 * birth-date filter. The table is part of the wire contract: every agency
 * must hash with the same one, so it is versioned (GIVEN_NAME_CLASSES_VERSION,
 * its SHA-256 pinned by a test and named in the protocol); a change is a new
 * token kind, never an edit in place.
 *
 * Written for this project from common usage in US records (English and
 * Spanish forms). A short form listed under two formal names (ALEX: ALEXANDER,
 * ALEXANDRA, ALEJANDRO) is left as it is: one class per name, no chains that
 * join two formal names (and, with them, two people of different sexes).
 */
import { canonicalName } from './text.js';

export const GIVEN_NAME_CLASSES_VERSION = 1;

/** Formal given name → its short forms (canonical case is applied when the table is built). */
export const GIVEN_NAME_VARIANTS: Readonly<Record<string, readonly string[]>> = {
  ABIGAIL: ['ABBY', 'ABBIE'],
  ALBERT: ['AL', 'BERT', 'BERTIE'],
  ALEXANDER: ['ALEX', 'XANDER', 'SANDY', 'ALEC', 'LEX'],
  ALEXANDRA: ['ALEX', 'ALEXA', 'SANDRA', 'SANDY', 'LEXI', 'LEXIE'],
  ALEJANDRO: ['ALEX', 'ALE', 'JANDRO'],
  ALEJANDRA: ['ALE', 'ALEX', 'JANDRA'],
  ALEXIS: ['LEXI', 'LEXIE', 'ALEX'],
  ALFRED: ['AL', 'ALFIE', 'FRED'],
  ALFREDO: ['FREDO', 'FREDDY'],
  ALLISON: ['ALLIE', 'ALLY'],
  AMANDA: ['MANDY', 'MANDI'],
  ANDREW: ['ANDY', 'DREW'],
  ANGELA: ['ANGIE'],
  ANTHONY: ['TONY'],
  ANTONIO: ['TONO', 'TONY', 'TONI'],
  ARTHUR: ['ART', 'ARTIE'],
  BARBARA: ['BARB', 'BARBIE', 'BABS'],
  BENJAMIN: ['BEN', 'BENNY', 'BENJI'],
  BEATRIZ: ['BETY', 'BEA'],
  BRADLEY: ['BRAD'],
  BRANDON: ['BRAN'],
  BRIANNA: ['BRI', 'BREE'],
  CAMERON: ['CAM'],
  CAROLINE: ['CARRIE', 'CARO'],
  CHARLES: ['CHARLIE', 'CHUCK', 'CHAS', 'CHAZ'],
  CHRISTINA: ['CHRISTINE', 'CHRISSY', 'TINA'],
  CHRISTOPHER: ['CHRIS', 'TOPHER'],
  CYNTHIA: ['CINDY'],
  DANIEL: ['DAN', 'DANNY'],
  DANIELA: ['DANI'],
  DANIELLE: ['DANI', 'ELLIE'],
  DAVID: ['DAVE', 'DAVEY'],
  DEBORAH: ['DEB', 'DEBBIE', 'DEBBY'],
  DONALD: ['DON', 'DONNIE'],
  DOROTHY: ['DOT', 'DOTTIE', 'DOROTHEA'],
  DOUGLAS: ['DOUG'],
  EDUARDO: ['LALO', 'EDDIE', 'EDDY'],
  EDWARD: ['ED', 'EDDIE', 'TED', 'NED'],
  ELIZABETH: ['LIZ', 'LIZZIE', 'LIZZY', 'BETH', 'BETSY', 'BETTY', 'ELIZA', 'LISA', 'LIBBY', 'ELLIE'],
  EMILY: ['EMMY', 'EM'],
  ENRIQUE: ['KIKE', 'QUIQUE'],
  EUGENE: ['GENE'],
  FERNANDO: ['NANDO', 'FERNIE'],
  FRANCES: ['FRAN', 'FRANNIE'],
  FRANCISCO: ['PACO', 'PANCHO', 'FRANK', 'CISCO', 'FRANKIE'],
  FRANCIS: ['FRANK', 'FRANKIE'],
  FRANKLIN: ['FRANK'],
  FREDERICK: ['FRED', 'FREDDIE', 'FREDDY'],
  GABRIEL: ['GABE'],
  GABRIELA: ['GABY', 'GABI'],
  GABRIELLE: ['GABBY', 'GABBI', 'ELLE'],
  GERALD: ['GERRY', 'JERRY'],
  GREGORY: ['GREG'],
  GUADALUPE: ['LUPE', 'LUPITA'],
  GUILLERMO: ['MEMO', 'WILLY'],
  HAROLD: ['HAL', 'HARRY'],
  HENRY: ['HANK', 'HARRY'],
  IGNACIO: ['NACHO'],
  ISABEL: ['ISA', 'BELLA', 'CHABELA'],
  ISABELLA: ['ISA', 'BELLA', 'IZZY'],
  JACOB: ['JAKE', 'JAKEY'],
  JAMES: ['JIM', 'JIMMY', 'JIMMIE', 'JAMIE'],
  JANET: ['JAN'],
  JEFFREY: ['JEFF'],
  JENNIFER: ['JEN', 'JENN', 'JENNY', 'JENNI'],
  JESSICA: ['JESS', 'JESSIE', 'JESSI'],
  JESUS: ['CHUY', 'CHUCHO', 'JESSE'],
  JOHN: ['JACK', 'JOHNNY', 'JON'],
  JONATHAN: ['JONNY'],
  JORGE: ['COQUE'],
  JOSE: ['PEPE', 'CHEPE', 'JOE'],
  JOSEPH: ['JOE', 'JOEY', 'JOJO'],
  JOSHUA: ['JOSH'],
  JUDITH: ['JUDY', 'JUDI'],
  KATHERINE: ['CATHERINE', 'KATHRYN', 'KATHARINE', 'CATHY', 'CATE', 'KATE', 'KATIE', 'KATHY', 'KAT', 'KATY', 'KAY'],
  KENNETH: ['KEN', 'KENNY'],
  KIMBERLY: ['KIM', 'KIMMY'],
  LAWRENCE: ['LARRY'],
  LEONARD: ['LEN', 'LENNY', 'LEO'],
  LUIS: ['LUCHO', 'WICHO'],
  MADELINE: ['MADDIE', 'MADDY'],
  MADISON: ['MADDIE', 'MADDY', 'MADI'],
  MARGARET: ['MAGGIE', 'MEG', 'PEGGY', 'MARGE', 'MARGIE', 'GRETA'],
  MARIA: ['MARI', 'MARY'],
  MATTHEW: ['MATT', 'MATTY'],
  MICHAEL: ['MIKE', 'MIKEY', 'MICK', 'MICKEY'],
  MICHELLE: ['SHELLY', 'SHELLEY', 'MICHE'],
  NATALIE: ['NAT', 'NATTIE'],
  NATHANIEL: ['NATE', 'NAT', 'NATHAN'],
  NICHOLAS: ['NICK', 'NICKY', 'NICO', 'COLE'],
  NICOLE: ['NIKKI', 'NICKY', 'COLE'],
  PAMELA: ['PAM', 'PAMMY'],
  PATRICIA: ['PAT', 'PATTY', 'PATSY', 'TRISH', 'TRICIA'],
  PATRICK: ['PAT', 'PADDY'],
  PETER: ['PETE'],
  PHILIP: ['PHILLIP', 'PHIL'],
  RAYMOND: ['RAY'],
  REBECCA: ['BECKY', 'BECCA', 'BECKIE'],
  RICARDO: ['RICKY', 'RICKI', 'RICHI'],
  RICHARD: ['RICK', 'RICKY', 'RICH', 'RICHIE', 'DICK'],
  ROBERT: ['BOB', 'BOBBY', 'ROB', 'ROBBIE', 'ROBBY', 'BERT'],
  ROBERTO: ['BETO', 'TITO'],
  RODRIGO: ['RODRI', 'ROY'],
  RONALD: ['RON', 'RONNIE'],
  SAMANTHA: ['SAM', 'SAMMY', 'SAMMIE'],
  SAMUEL: ['SAM', 'SAMMY', 'SAMMIE'],
  SANTIAGO: ['SANTI', 'CHAGO'],
  SEBASTIAN: ['SEBAS', 'BASTIAN', 'SEB'],
  STEPHANIE: ['STEPH', 'STEFFI'],
  STEPHEN: ['STEVEN', 'STEVE', 'STEVIE'],
  SUSAN: ['SUE', 'SUSIE', 'SUZY'],
  TERESA: ['TERRI', 'TERRY', 'TESS', 'TESSA'],
  THEODORE: ['TED', 'TEDDY', 'THEO'],
  THOMAS: ['TOM', 'TOMMY'],
  TIMOTHY: ['TIM', 'TIMMY'],
  VALENTINA: ['VALE'],
  VICTORIA: ['VICKY', 'VICKI', 'TORI', 'TORY'],
  VINCENT: ['VINCE', 'VINNY'],
  WALTER: ['WALT', 'WALLY'],
  WILLIAM: ['BILL', 'BILLY', 'WILL', 'WILLIE', 'WILLY', 'LIAM'],
  ZACHARY: ['ZACH', 'ZACK', 'ZAC'],
};

let classes: ReadonlyMap<string, string> | undefined;

/**
 * Short form → formal name, built once from GIVEN_NAME_VARIANTS (canonical
 * case): a short form that two formal names list, or that is itself a formal
 * name, is left out.
 */
export function givenNameClasses(): ReadonlyMap<string, string> {
  if (classes) return classes;
  const formal = new Set(Object.keys(GIVEN_NAME_VARIANTS).map(canonicalName));
  const owners = new Map<string, Set<string>>();
  for (const [name, forms] of Object.entries(GIVEN_NAME_VARIANTS)) {
    const f = canonicalName(name);
    for (const v of forms) {
      const c = canonicalName(v);
      if (c === f) continue;
      const o = owners.get(c) ?? new Set<string>();
      o.add(f);
      owners.set(c, o);
    }
  }
  const out = new Map<string, string>();
  for (const [v, o] of owners) if (o.size === 1 && !formal.has(v)) out.set(v, [...o][0]!);
  classes = out;
  return out;
}

/** The formal name of a short form in the table (canonical case), else the word itself. */
export function givenNameClass(word: string): string {
  return givenNameClasses().get(word) ?? word;
}
