/// ISO 3166-1 country codes (alpha-2 and alpha-3), for states and nationalities.
///
/// Data, generated from the ISO 3166-1 list (via the `pycountry` package), plus XK/XKX (Kosovo) as
/// used on travel documents.
public enum CountryCode {
    /// Alpha-3 for an alpha-2 or alpha-3 code (any case), or nil when it is not an ISO 3166-1 code.
    public static func alpha3(_ code: String) -> String? {
        let upper = code.uppercased()
        switch upper.count {
        case 2: return alpha3ByAlpha2[upper]
        case 3: return alpha3Codes.contains(upper) ? upper : nil
        default: return nil
        }
    }

    /// True for an ISO 3166-1 alpha-2 code (any case).
    public static func isAlpha2(_ code: String) -> Bool { alpha3ByAlpha2[code.uppercased()] != nil }

    static let alpha3ByAlpha2: [String: String] = Dictionary(uniqueKeysWithValues: pairs.map { (String($0.prefix(2)), String($0.suffix(3))) })
    static let alpha3Codes = Set(alpha3ByAlpha2.values)

    /// Alpha-2 followed by alpha-3.
    private static let pairs: [String] = [
        "ADAND", "AEARE", "AFAFG", "AGATG", "AIAIA", "ALALB", "AMARM", "AOAGO", "AQATA", "ARARG", "ASASM", "ATAUT",
        "AUAUS", "AWABW", "AXALA", "AZAZE", "BABIH", "BBBRB", "BDBGD", "BEBEL", "BFBFA", "BGBGR", "BHBHR", "BIBDI",
        "BJBEN", "BLBLM", "BMBMU", "BNBRN", "BOBOL", "BQBES", "BRBRA", "BSBHS", "BTBTN", "BVBVT", "BWBWA", "BYBLR",
        "BZBLZ", "CACAN", "CCCCK", "CDCOD", "CFCAF", "CGCOG", "CHCHE", "CICIV", "CKCOK", "CLCHL", "CMCMR", "CNCHN",
        "COCOL", "CRCRI", "CUCUB", "CVCPV", "CWCUW", "CXCXR", "CYCYP", "CZCZE", "DEDEU", "DJDJI", "DKDNK", "DMDMA",
        "DODOM", "DZDZA", "ECECU", "EEEST", "EGEGY", "EHESH", "ERERI", "ESESP", "ETETH", "FIFIN", "FJFJI", "FKFLK",
        "FMFSM", "FOFRO", "FRFRA", "GAGAB", "GBGBR", "GDGRD", "GEGEO", "GFGUF", "GGGGY", "GHGHA", "GIGIB", "GLGRL",
        "GMGMB", "GNGIN", "GPGLP", "GQGNQ", "GRGRC", "GSSGS", "GTGTM", "GUGUM", "GWGNB", "GYGUY", "HKHKG", "HMHMD",
        "HNHND", "HRHRV", "HTHTI", "HUHUN", "IDIDN", "IEIRL", "ILISR", "IMIMN", "ININD", "IOIOT", "IQIRQ", "IRIRN",
        "ISISL", "ITITA", "JEJEY", "JMJAM", "JOJOR", "JPJPN", "KEKEN", "KGKGZ", "KHKHM", "KIKIR", "KMCOM", "KNKNA",
        "KPPRK", "KRKOR", "KWKWT", "KYCYM", "KZKAZ", "LALAO", "LBLBN", "LCLCA", "LILIE", "LKLKA", "LRLBR", "LSLSO",
        "LTLTU", "LULUX", "LVLVA", "LYLBY", "MAMAR", "MCMCO", "MDMDA", "MEMNE", "MFMAF", "MGMDG", "MHMHL", "MKMKD",
        "MLMLI", "MMMMR", "MNMNG", "MOMAC", "MPMNP", "MQMTQ", "MRMRT", "MSMSR", "MTMLT", "MUMUS", "MVMDV", "MWMWI",
        "MXMEX", "MYMYS", "MZMOZ", "NANAM", "NCNCL", "NENER", "NFNFK", "NGNGA", "NINIC", "NLNLD", "NONOR", "NPNPL",
        "NRNRU", "NUNIU", "NZNZL", "OMOMN", "PAPAN", "PEPER", "PFPYF", "PGPNG", "PHPHL", "PKPAK", "PLPOL", "PMSPM",
        "PNPCN", "PRPRI", "PSPSE", "PTPRT", "PWPLW", "PYPRY", "QAQAT", "REREU", "ROROU", "RSSRB", "RURUS", "RWRWA",
        "SASAU", "SBSLB", "SCSYC", "SDSDN", "SESWE", "SGSGP", "SHSHN", "SISVN", "SJSJM", "SKSVK", "SLSLE", "SMSMR",
        "SNSEN", "SOSOM", "SRSUR", "SSSSD", "STSTP", "SVSLV", "SXSXM", "SYSYR", "SZSWZ", "TCTCA", "TDTCD", "TFATF",
        "TGTGO", "THTHA", "TJTJK", "TKTKL", "TLTLS", "TMTKM", "TNTUN", "TOTON", "TRTUR", "TTTTO", "TVTUV", "TWTWN",
        "TZTZA", "UAUKR", "UGUGA", "UMUMI", "USUSA", "UYURY", "UZUZB", "VAVAT", "VCVCT", "VEVEN", "VGVGB", "VIVIR",
        "VNVNM", "VUVUT", "WFWLF", "WSWSM", "YEYEM", "YTMYT", "ZAZAF", "ZMZMB", "ZWZWE", "XKXKX",
    ]
}
